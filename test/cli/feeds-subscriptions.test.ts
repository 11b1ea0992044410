import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { expectExit, expectUsage, feedrelay, jsonOf, newSecret, scratch, type RunResult } from './support.js';

/**
 * `feeds …`, `subscribe` and `subscriptions …` against one --data-dir per scenario, each command its own process,
 * so state has to survive between commands. The scenarios are independent and run concurrently.
 */

/** Each scenario is a chain of processes sharing two cores with its neighbours. */
const SLOW = 120_000;

interface FeedList {
  feeds: { id: string; url: string; title?: string; status: string }[];
  count: number;
}
interface SubscriptionList {
  subscriptions: { id: string; feed: string; webhook: string; status: string }[];
  count: number;
}

/** One scenario's scratch directory and a runner bound to its --data-dir. */
async function workspace() {
  const { dir, cleanup } = await scratch('feedrelay-cli-feeds-');
  const dataDir = path.join(dir, 'data');
  const run = (...args: string[]): Promise<RunResult> => feedrelay([...args, '--data-dir', dataDir]);
  const file = async (name: string, text: string) => {
    const at = path.join(dir, name);
    await writeFile(at, text);
    return at;
  };
  const feedUrls = async () => {
    const list = await run('feeds', 'list', '--json');
    expectExit(list, 0);
    return jsonOf<FeedList>(list)
      .feeds.map((f) => f.url)
      .sort();
  };
  const subscriptions = async (...flags: string[]) => {
    const list = await run('subscriptions', 'list', '--json', ...flags);
    expectExit(list, 0);
    const doc = jsonOf<SubscriptionList>(list);
    expect(doc.count).toBe(doc.subscriptions.length);
    return doc.subscriptions;
  };
  return { dir, cleanup, run, file, feedUrls, subscriptions };
}

const GOOD_OPML = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="News" title="News">
      <outline type="rss" text="Alpha" title="Alpha" xmlUrl="https://alpha.example/feed.xml" htmlUrl="https://alpha.example/"/>
      <outline type="rss" text="Beta &amp; Co" xmlUrl="https://beta.example/rss"/>
    </outline>
    <outline type="rss" text="Gamma" xmlUrl="http://gamma.example/atom.xml"/>
    <outline type="rss" text="Alpha again" xmlUrl="https://alpha.example/feed.xml"/>
  </body>
</opml>
`;
const GOOD_URLS = ['http://gamma.example/atom.xml', 'https://alpha.example/feed.xml', 'https://beta.example/rss'];

/** Broken on line 6; lines 5 and 7 are good outlines that must not be imported either. */
const MALFORMED_OPML = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>broken</title></head>
  <body>
    <outline text="A" xmlUrl="https://a.example/feed.xml"/>
    <outline text="B" xmlUrl=https://b.example/feed.xml/>
    <outline text="C" xmlUrl="https://c.example/feed.xml"/>
  </body>
</opml>
`;
const FTP_OPML = MALFORMED_OPML.replace('xmlUrl=https://b.example/feed.xml', 'xmlUrl="ftp://b.example/feed.xml"');

const KEEP = 'https://keep.example/feed.xml';

describe('feedrelay feeds', () => {
  it.concurrent(
    'imports an OPML file, lists it, exports OPML 2.0 that re-imports to the same set',
    async () => {
      const ws = await workspace();
      try {
        const opml = await ws.file('feeds.opml', GOOD_OPML);
        const imported = await ws.run('feeds', 'import', opml, '--json');
        expectExit(imported, 0);
        expect(jsonOf(imported)).toMatchObject({ imported: 3 });

        const list = await ws.run('feeds', 'list', '--json');
        expectExit(list, 0);
        const doc = jsonOf<FeedList>(list);
        expect(doc.count).toBe(3);
        expect(doc.feeds.map((f) => f.url).sort()).toEqual(GOOD_URLS);
        expect(doc.feeds.find((f) => f.url === 'https://beta.example/rss')?.title).toBe('Beta & Co');
        expect(new Set(doc.feeds.map((f) => f.id)).size).toBe(3);

        const again = await ws.run('feeds', 'import', opml, '--json');
        expectExit(again, 0);
        expect(jsonOf(again)).toMatchObject({ imported: 0, existing: 3 });

        const exported = await ws.run('feeds', 'export');
        expectExit(exported, 0);
        expect(exported.stdout.trimStart()).toMatch(/^<\?xml/);
        expect(exported.stdout).toMatch(/<opml version="2\.0">/);
        expect(exported.stdout.match(/<outline\b[^>]*xmlUrl=/g)).toHaveLength(3);

        const copy = await workspace();
        try {
          const reimported = await copy.run(
            'feeds',
            'import',
            await copy.file('exported.opml', exported.stdout),
            '--json',
          );
          expectExit(reimported, 0);
          expect(jsonOf(reimported)).toMatchObject({ imported: 3 });
          const copied = await copy.run('feeds', 'list', '--json');
          expect(
            jsonOf<FeedList>(copied)
              .feeds.map((f) => [f.url, f.title])
              .sort(),
          ).toEqual(doc.feeds.map((f) => [f.url, f.title]).sort());
        } finally {
          await copy.cleanup();
        }
      } finally {
        await ws.cleanup();
      }
    },
    SLOW,
  );

  it.concurrent(
    'refuses a broken OPML file whole: exit 2, one line naming file, line and reason',
    async () => {
      const ws = await workspace();
      try {
        expectExit(await ws.run('feeds', 'add', KEEP), 0);

        const malformed = await ws.file('malformed.opml', MALFORMED_OPML);
        const first = expectUsage(await ws.run('feeds', 'import', malformed), malformed, /line 6\b/);
        expect(first).toMatch(/XML|well-formed|attribute/i);

        const ftp = await ws.file('ftp.opml', FTP_OPML);
        const second = expectUsage(await ws.run('feeds', 'import', ftp, '--json'), ftp, /line 6\b/);
        expect(second).toMatch(/ftp/);

        const missing = path.join(ws.dir, 'missing.opml');
        expectUsage(await ws.run('feeds', 'import', missing), missing);

        expect(await ws.feedUrls()).toEqual([KEEP]);
      } finally {
        await ws.cleanup();
      }
    },
    SLOW,
  );

  it.concurrent(
    'adds and removes feeds by URL; a bad URL is bad usage and adds nothing',
    async () => {
      const ws = await workspace();
      try {
        const one = 'https://one.example/feed.xml';
        const two = 'https://two.example/feed.xml';
        const added = await ws.run('feeds', 'add', one, two, '--json');
        expectExit(added, 0);
        expect(
          jsonOf<{ added: { url: string }[] }>(added)
            .added.map((f) => f.url)
            .sort(),
        ).toEqual([one, two]);

        const again = await ws.run('feeds', 'add', one, '--json');
        expectExit(again, 0);
        expect(jsonOf<{ added: unknown[]; existing: number }>(again)).toMatchObject({ added: [], existing: 1 });

        expectUsage(await ws.run('feeds', 'add', 'not-a-url'), /not-a-url/);
        expectUsage(await ws.run('feeds', 'add', 'https://three.example/feed.xml', 'ftp://four.example/feed'), /ftp/);
        expect(await ws.feedUrls()).toEqual([one, two]);

        const removed = await ws.run('feeds', 'remove', one, '--json');
        expectExit(removed, 0);
        expect(jsonOf<{ removed: string[] }>(removed).removed).toEqual([one]);
        expect(await ws.feedUrls()).toEqual([two]);

        const notThere = await ws.run('feeds', 'remove', 'https://nowhere.example/feed.xml', '--json');
        expectExit(notThere, 0);
        expect(jsonOf<{ missing: string[] }>(notThere).missing).toEqual(['https://nowhere.example/feed.xml']);
      } finally {
        await ws.cleanup();
      }
    },
    SLOW,
  );
});

describe('the data directory', () => {
  it.concurrent(
    'defaults to .feedrelay/ in the working directory, where the next command finds it',
    async () => {
      const { dir, cleanup } = await scratch('feedrelay-cli-cwd-');
      try {
        const url = 'https://default-dir.example/feed.xml';
        expectExit(await feedrelay(['feeds', 'add', url], { cwd: dir }), 0);
        expect((await stat(path.join(dir, '.feedrelay'))).isDirectory()).toBe(true);
        const list = await feedrelay(['feeds', 'list', '--json'], { cwd: dir });
        expectExit(list, 0);
        expect(jsonOf<FeedList>(list).feeds.map((f) => f.url)).toEqual([url]);
      } finally {
        await cleanup();
      }
    },
    SLOW,
  );
});

describe('feedrelay subscribe and subscriptions', () => {
  it.concurrent(
    'subscribe prints a whsec_ secret, or keeps the one given; bad input is bad usage',
    async () => {
      const ws = await workspace();
      try {
        const feed = 'https://feed.example/a.xml';
        const human = await ws.run('subscribe', feed, '--webhook', 'https://hooks.example/in');
        expectExit(human, 0);
        expect(human.stdout).toMatch(/whsec_[A-Za-z0-9+/]+=*/);

        const secret = newSecret();
        const json = await ws.run(
          'subscribe',
          feed,
          '--webhook',
          'https://hooks.example/other',
          '--secret',
          secret,
          '--json',
        );
        expectExit(json, 0);
        const doc = jsonOf<{ subscription: { feed: string; webhook: string; secret: string }; created: boolean }>(json);
        expect(doc.subscription).toMatchObject({ feed, webhook: 'https://hooks.example/other', secret });
        expect(doc.created).toBe(true);

        expectUsage(await ws.run('subscribe', feed));
        expectUsage(await ws.run('subscribe', feed, '--webhook', 'not-a-url'));
        expectUsage(await ws.run('subscribe', feed, '--webhook', 'https://hooks.example/third', '--secret', 'nope'));

        const all = await ws.subscriptions();
        expect(all.map((s) => s.webhook).sort()).toEqual(['https://hooks.example/in', 'https://hooks.example/other']);
        expect(await ws.feedUrls()).toEqual([feed]);
      } finally {
        await ws.cleanup();
      }
    },
    SLOW,
  );

  it.concurrent(
    'imports JSONL, lists by feed; a bad line is exit 2 naming the line and imports nothing',
    async () => {
      const ws = await workspace();
      try {
        const a = 'https://feed.example/a.xml';
        const b = 'https://feed.example/b.xml';
        const c = 'https://feed.example/c.xml';
        const line = (feed: string, webhook: string) => JSON.stringify({ feed, webhook, secret: newSecret() });
        const good = await ws.file(
          'good.jsonl',
          [
            line(a, 'https://hooks.example/1'),
            '',
            line(b, 'https://hooks.example/1'),
            line(b, 'https://hooks.example/2'),
          ].join('\n') + '\n',
        );
        const imported = await ws.run('subscriptions', 'import', good, '--json');
        expectExit(imported, 0);
        expect(jsonOf(imported)).toMatchObject({ imported: 3 });

        const forB = await ws.subscriptions('--feed', b);
        expect(forB.map((s) => [s.feed, s.webhook]).sort()).toEqual([
          [b, 'https://hooks.example/1'],
          [b, 'https://hooks.example/2'],
        ]);
        expect((await ws.subscriptions('--feed', a)).map((s) => s.webhook)).toEqual(['https://hooks.example/1']);

        const notJson = await ws.file(
          'not-json.jsonl',
          [
            line(c, 'https://hooks.example/3'),
            line(c, 'https://hooks.example/4'),
            '{"feed": "' + c + '", "webhook": ',
          ].join('\n'),
        );
        expectUsage(await ws.run('subscriptions', 'import', notJson), notJson, /line 3\b/);

        const badWebhook = await ws.file(
          'bad-webhook.jsonl',
          [line(c, 'https://hooks.example/3'), line(c, 'ftp://hooks.example/4')].join('\n'),
        );
        expectUsage(await ws.run('subscriptions', 'import', badWebhook, '--json'), badWebhook, /line 2\b/);

        const badSecret = await ws.file(
          'bad-secret.jsonl',
          [
            line(c, 'https://hooks.example/3'),
            JSON.stringify({ feed: c, webhook: 'https://hooks.example/4', secret: 42 }),
          ].join('\n'),
        );
        expectUsage(await ws.run('subscriptions', 'import', badSecret), badSecret, /line 2\b/);

        expect(await ws.subscriptions('--feed', c)).toEqual([]);
        expect(await ws.subscriptions()).toHaveLength(3);
        expect(await ws.feedUrls()).not.toContain(c);

        expectUsage(await ws.run('subscriptions', 'list', '--feed', 'not-a-url'));
      } finally {
        await ws.cleanup();
      }
    },
    SLOW,
  );
});
