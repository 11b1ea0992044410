import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { expectExit, expectUsage, feedrelay, jsonOf, newSecret, scratch, type RunResult } from './support.js';

/**
 * An import is checked whole before anything is written: one bad line (a URL too long to store, bytes that are
 * not text in the file's encoding, a JSON line of the wrong shape) refuses the file with exit 2 and one line
 * naming file, line and what was expected, and the feed and subscription tables stay as they were.
 */

const SLOW = 120_000;
const KEEP = 'https://keep.example/feed.xml';

async function workspace() {
  const { dir, cleanup } = await scratch('feedrelay-cli-input-');
  const dataDir = path.join(dir, 'data');
  const run = (...args: string[]): Promise<RunResult> => feedrelay([...args, '--data-dir', dataDir]);
  const file = async (name: string, content: string | Uint8Array) => {
    const at = path.join(dir, name);
    await writeFile(at, content);
    return at;
  };
  const feedUrls = async () => {
    const list = await run('feeds', 'list', '--json');
    expectExit(list, 0);
    return jsonOf<{ feeds: { url: string }[] }>(list)
      .feeds.map((f) => f.url)
      .sort();
  };
  const subscriptionCount = async () => {
    const list = await run('subscriptions', 'list', '--json');
    expectExit(list, 0);
    return jsonOf<{ count: number }>(list).count;
  };
  return { dir, cleanup, run, file, feedUrls, subscriptionCount };
}

const opml = (outlines: string[], declaration = '<?xml version="1.0" encoding="UTF-8"?>') =>
  [
    declaration,
    '<opml version="2.0">',
    '<head><title>t</title></head>',
    '<body>',
    ...outlines,
    '</body>',
    '</opml>',
    '',
  ].join('\n');
const outline = (url: string, title = 'Feed') => `<outline type="rss" text="${title}" xmlUrl="${url}"/>`;
const goodOutlines = (n: number) => Array.from({ length: n }, (_, i) => outline(`https://f${i}.example/feed.xml`));

describe('feeds import and feeds add: all or nothing', () => {
  it.concurrent(
    'a 500,000-character URL after 40 good feeds refuses the whole file, naming its line; nothing is written',
    async () => {
      const ws = await workspace();
      try {
        expectExit(await ws.run('feeds', 'add', KEEP), 0);
        const huge = `https://huge.example/${'x'.repeat(500_000)}`;
        const file = await ws.file('huge.opml', opml([...goodOutlines(40), outline(huge), ...goodOutlines(3)]));

        const line = expectUsage(await ws.run('feeds', 'import', file), file, /line 45\b/, /at most 2048/);
        expect(line.length).toBeLessThan(400);
        const json = await ws.run('feeds', 'import', file, '--json');
        expectExit(json, 2);
        expect(jsonOf<{ error: { code: string } }>(json).error.code).toBe('usage');

        // One argument may hold at most 128 KiB: a 100,000-character URL stands in for the huge one.
        const long = `https://long.example/${'x'.repeat(100_000)}`;
        expectUsage(await ws.run('feeds', 'add', 'https://new.example/feed.xml', long), /at most 2048/);
        expect(await ws.feedUrls()).toEqual([KEEP]);
      } finally {
        await ws.cleanup();
      }
    },
    SLOW,
  );

  it.concurrent(
    'an ISO-8859-1 file is read by its declaration; undeclared Latin-1 bytes are refused by line, never replaced',
    async () => {
      const ws = await workspace();
      try {
        const latin1 = (text: string) => Buffer.from(text, 'latin1');
        const undeclared = await ws.file(
          'undeclared.opml',
          latin1(opml([...goodOutlines(2), outline('https://café.example/flux', 'Café')], '<?xml version="1.0"?>')),
        );
        expectUsage(await ws.run('feeds', 'import', undeclared), undeclared, /line 7\b/, /not valid utf-8/);
        expect(await ws.feedUrls()).toEqual([]);

        const declared = await ws.file(
          'declared.opml',
          latin1(opml([outline('https://café.example/flux', 'Café')], '<?xml version="1.0" encoding="ISO-8859-1"?>')),
        );
        expectExit(await ws.run('feeds', 'import', declared), 0);
        const list = jsonOf<{ feeds: { url: string; title?: string }[] }>(await ws.run('feeds', 'list', '--json'));
        expect(list.feeds).toEqual([
          expect.objectContaining({ url: 'https://xn--caf-dma.example/flux', title: 'Café' }),
        ]);

        const utf16 = await ws.file(
          'utf16.opml',
          Buffer.concat([
            Buffer.of(0xff, 0xfe),
            Buffer.from(
              opml([outline('https://zürich.example/feed', 'Zürich')], '<?xml version="1.0" encoding="UTF-16"?>'),
              'utf16le',
            ),
          ]),
        );
        expectExit(await ws.run('feeds', 'import', utf16), 0);
        expect(await ws.feedUrls()).toEqual(['https://xn--caf-dma.example/flux', 'https://xn--zrich-kva.example/feed']);
      } finally {
        await ws.cleanup();
      }
    },
    SLOW,
  );
});

describe('subscriptions import: all or nothing', () => {
  const line = (feed: string, webhook: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ feed, webhook, secret: newSecret(), ...extra });
  const good = (n: number) =>
    Array.from({ length: n }, (_, i) => line(`https://f${i}.example/feed.xml`, `https://hooks.example/${i}`));

  it.concurrent(
    'a bad line anywhere (bytes, shape, length, secret) refuses the file naming that line; nothing is written',
    async () => {
      const ws = await workspace();
      try {
        const invalidUtf8 = await ws.file(
          'latin1.jsonl',
          Buffer.concat([
            Buffer.from(`${good(2).join('\n')}\n`),
            Buffer.from(`${line('https://café.example/', 'https://h.example/')}\n`, 'latin1'),
          ]),
        );
        expectUsage(await ws.run('subscriptions', 'import', invalidUtf8), invalidUtf8, /line 3\b/, /UTF-8/);

        const unknownField = await ws.file(
          'unknown.jsonl',
          [...good(3), line('https://a.example/', 'https://h.example/', { secrte: 'whsec_x' })].join('\n'),
        );
        expectUsage(
          await ws.run('subscriptions', 'import', unknownField),
          unknownField,
          /line 4\b/,
          /unknown field "secrte"/,
        );

        const array = await ws.file(
          'array.jsonl',
          [...good(1), '["https://a.example/", "https://h.example/"]'].join('\n'),
        );
        expectUsage(await ws.run('subscriptions', 'import', array), array, /line 2\b/, /expected an object/);

        const longWebhook = await ws.file(
          'long.jsonl',
          [...good(39), line('https://a.example/', `https://hooks.example/${'w'.repeat(500_000)}`)].join('\n'),
        );
        const refused = expectUsage(
          await ws.run('subscriptions', 'import', longWebhook),
          longWebhook,
          /line 40\b/,
          /at most 2048/,
        );
        expect(refused.length).toBeLessThan(400);

        const badSecret = await ws.file(
          'secret.jsonl',
          [...good(5), line('https://a.example/', 'https://h.example/', { secret: 'not-a-secret' })].join('\n'),
        );
        expectUsage(await ws.run('subscriptions', 'import', badSecret), badSecret, /line 6\b/, /whsec_/);

        expect(await ws.subscriptionCount()).toBe(0);
        expect(await ws.feedUrls()).toEqual([]);
      } finally {
        await ws.cleanup();
      }
    },
    SLOW,
  );
});
