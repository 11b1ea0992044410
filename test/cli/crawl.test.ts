import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SampleFeedServer, type SampleFeed } from '../../src/entrypoints/local/sample-feeds.js';
import { WebhookReceiver } from '../../src/entrypoints/local/webhook-receiver.js';
import { feedrelayInProcess } from './in-process.js';
import {
  articlesByWebhookId,
  expectExit,
  expectSummaryShape,
  expectUsage,
  feedrelay,
  jsonOf,
  LOOPBACK,
  LoopbackServer,
  newSecret,
  RecordingReceiver,
  runAll,
  scratch,
  type CrawlSummary,
  type RunResult,
} from './support.js';

/**
 * `crawl --json` end to end: sample feeds and webhook receivers on loopback, feeds and subscriptions set up with
 * the CLI, then crawls over one --data-dir, each command opening and closing the embedded stack, so everything a
 * crawl knows came through the data directory. The commands run in this process, but for the second crawl: a
 * process of its own, as a user runs it.
 */

const FEEDS: SampleFeed[] = [
  { path: '/feeds/one.xml', title: 'Feed one', format: 'rss', items: 3 },
  { path: '/feeds/two.atom', title: 'Feed two', format: 'atom', items: 2 },
  { path: '/feeds/three.json', title: 'Feed three', format: 'json', items: 2 },
];
const ITEMS = FEEDS.reduce((sum, f) => sum + f.items, 0);

describe('feedrelay crawl, end to end', () => {
  let feeds: SampleFeedServer;
  let alice: WebhookReceiver;
  let recorder: RecordingReceiver;
  let dir: string;
  let cleanup: () => Promise<void>;
  let dataDir: string;
  const aliceSecret = newSecret();
  const bobSecret = newSecret();
  const carolSecret = newSecret();
  const cli = (...args: string[]): Promise<RunResult> =>
    feedrelayInProcess([...args, '--data-dir', dataDir], { env: LOOPBACK });
  const crawl = async (asProcess = false): Promise<CrawlSummary> => {
    const run = asProcess
      ? await feedrelay(['crawl', '--json', '--data-dir', dataDir], { env: LOOPBACK, timeoutMs: 60_000 })
      : await cli('crawl', '--json');
    expectExit(run, 0);
    const summary = jsonOf<CrawlSummary>(run);
    expectSummaryShape(summary);
    return summary;
  };
  const urls = () => feeds.feeds.map((f) => feeds.url(f));

  beforeAll(async () => {
    ({ dir, cleanup } = await scratch('feedrelay-cli-crawl-'));
    dataDir = path.join(dir, 'data');
    feeds = new SampleFeedServer(FEEDS.map((f) => ({ ...f })));
    alice = new WebhookReceiver();
    recorder = new RecordingReceiver();
    await Promise.all([feeds.start(), alice.start(), recorder.start()]);
  });

  afterAll(async () => {
    await Promise.all([feeds.stop(), alice.stop(), recorder.stop()]);
    await cleanup();
  });

  it('sets up feeds and subscriptions with the CLI', async () => {
    const opml = path.join(dir, 'feeds.opml');
    await writeFile(
      opml,
      `<?xml version="1.0"?>\n<opml version="2.0"><head><title>t</title></head><body>\n${urls()
        .map((url) => `<outline type="rss" text="${url}" xmlUrl="${url}"/>`)
        .join('\n')}\n</body></opml>\n`,
    );
    const imported = await cli('feeds', 'import', opml, '--json');
    expectExit(imported, 0);
    expect(jsonOf(imported)).toMatchObject({ imported: FEEDS.length });

    const subscribed = await cli(
      'subscribe',
      urls()[0]!,
      '--webhook',
      alice.endpoint('/hooks/alice', aliceSecret),
      '--secret',
      aliceSecret,
      '--json',
    );
    expectExit(subscribed, 0);
    expect(jsonOf<{ subscription: { secret: string } }>(subscribed).subscription.secret).toBe(aliceSecret);

    const jsonl = path.join(dir, 'bob.jsonl');
    const bobHook = recorder.endpoint('/hooks/bob', bobSecret);
    await writeFile(
      jsonl,
      urls()
        .map((feed) => JSON.stringify({ feed, webhook: bobHook, secret: bobSecret }))
        .join('\n'),
    );
    const subscriptions = await cli('subscriptions', 'import', jsonl, '--json');
    expectExit(subscriptions, 0);
    expect(jsonOf(subscriptions)).toMatchObject({ imported: FEEDS.length });
  });

  it('first crawl: every article is new, stored once, delivered signed to every subscriber', async () => {
    const summary = await crawl();
    expect(summary).toMatchObject({
      feeds: FEEDS.length,
      fetched: FEEDS.length,
      notModified: 0,
      failed: 0,
      newArticles: ITEMS,
    });
    expect(summary.notifications.failed).toBe(0);
    expect(summary.notifications.pending).toBe(0);
    expect(Object.keys(summary.awsRequests.byOperation).some((op) => op.startsWith('dynamodb.'))).toBe(true);
    expect(Object.keys(summary.awsRequests.byOperation).some((op) => op.startsWith('sqs.'))).toBe(true);

    // alice, on the first feed, through the signature-checking WebhookReceiver
    expect(alice.rejected).toEqual([]);
    expect(alice.deliveries.every((d) => d.verified)).toBe(true);
    expect(alice.deliveries.reduce((sum, d) => sum + d.articles, 0)).toBe(FEEDS[0]!.items);

    // bob, on every feed, through the recording receiver
    const bob = recorder.received.filter((d) => d.path === '/hooks/bob');
    expect(bob.filter((d) => !d.verified)).toEqual([]);
    for (const delivery of bob) {
      expect(delivery.contentType).toMatch(/^application\/json/);
      expect(delivery.body.type).toBe('feed.articles');
      expect(urls()).toContain(delivery.body.feed?.url);
      expect(typeof delivery.body.feed?.id).toBe('string');
      expect(Number.isInteger(Number(delivery.timestamp))).toBe(true);
    }
    const carried = articlesByWebhookId(recorder.received, '/hooks/bob');
    expect(carried.size).toBe(ITEMS);
    for (const ids of carried.values()) expect(ids.size).toBe(1);
    const titles = bob.flatMap((d) => (d.body.articles ?? []).map((a) => a.title)).sort();
    expect(titles).toEqual(
      FEEDS.flatMap((f) => Array.from({ length: f.items }, (_, i) => `${f.title}: post ${i + 1}`)).sort(),
    );

    const webhookIds = new Set([
      ...alice.deliveries.map((d) => `alice ${d.webhookId}`),
      ...bob.map((d) => `bob ${d.webhookId}`),
    ]);
    expect(summary.notifications.delivered).toBe(webhookIds.size);
  });

  it('second crawl (a new process, same --data-dir): every feed answers 304, nothing new, no webhooks', async () => {
    const before = { alice: alice.deliveries.length, recorder: recorder.received.length, ...feeds.requests };
    const summary = await crawl(true);
    expect(summary).toMatchObject({
      feeds: FEEDS.length,
      fetched: 0,
      notModified: FEEDS.length,
      failed: 0,
      newArticles: 0,
      notifications: { delivered: 0, failed: 0, pending: 0 },
    });
    expect(feeds.requests.notModified - before.notModified).toBe(FEEDS.length);
    expect(alice.deliveries.length).toBe(before.alice);
    expect(recorder.received.length).toBe(before.recorder);
  });

  it('the feed table kept the validators; a new post reaches only what is new, a new subscriber nothing older', async () => {
    const list = await cli('feeds', 'list', '--json');
    expectExit(list, 0);
    const listed = jsonOf<{ feeds: { url: string; etag?: string; lastFetchedAt?: string }[] }>(list).feeds;
    expect(listed.map((f) => f.url).sort()).toEqual([...urls()].sort());
    for (const feed of listed) {
      expect(feed.etag).toBeTruthy();
      expect(feed.lastFetchedAt).toBeTruthy();
    }

    const carolHook = recorder.endpoint('/hooks/carol', carolSecret);
    expectExit(await cli('subscribe', urls()[1]!, '--webhook', carolHook, '--secret', carolSecret), 0);
    feeds.feeds[1]!.items += 1;
    const before = { alice: alice.deliveries.length, bob: articlesByWebhookId(recorder.received, '/hooks/bob').size };

    const summary = await crawl();
    expect(summary).toMatchObject({
      feeds: FEEDS.length,
      fetched: 1,
      notModified: FEEDS.length - 1,
      failed: 0,
      newArticles: 1,
      notifications: { delivered: 2, failed: 0, pending: 0 },
    });
    expect(alice.deliveries.length).toBe(before.alice);
    const bob = articlesByWebhookId(recorder.received, '/hooks/bob');
    expect(bob.size).toBe(before.bob + 1);
    for (const ids of bob.values()) expect(ids.size).toBe(1);
    const carol = recorder.received.filter((d) => d.path === '/hooks/carol');
    expect(carol.every((d) => d.verified)).toBe(true);
    expect(carol.flatMap((d) => (d.body.articles ?? []).map((a) => a.title))).toEqual([
      `${FEEDS[1]!.title}: post ${FEEDS[1]!.items + 1}`,
    ]);
  });

  it('a subscriber answering 410 is ended; one answering 301 has failed and is not followed', async () => {
    const hits: string[] = [];
    const hooks = new LoopbackServer((request, response) => {
      hits.push(request.url ?? '');
      request.resume();
      request.on('end', () => {
        if (request.url === '/gone') response.writeHead(410).end();
        else if (request.url === '/moved') response.writeHead(301, { location: '/target' }).end();
        else response.writeHead(204).end();
      });
    });
    await hooks.start();
    try {
      const feed = urls()[2]!;
      for (const hook of ['/gone', '/moved'])
        expectExit(await cli('subscribe', feed, '--webhook', hooks.url(hook), '--secret', newSecret()), 0);
      feeds.feeds[2]!.items += 1;
      const bobBefore = articlesByWebhookId(recorder.received, '/hooks/bob').size;

      const summary = await crawl();
      expect(summary).toMatchObject({
        fetched: 1,
        newArticles: 1,
        notifications: { delivered: 1, failed: 2, pending: 0 },
      });
      expect(articlesByWebhookId(recorder.received, '/hooks/bob').size).toBe(bobBefore + 1);
      expect(hits.sort()).toEqual(['/gone', '/moved']);

      const list = await cli('subscriptions', 'list', '--feed', feed, '--json');
      expectExit(list, 0);
      const status = Object.fromEntries(
        jsonOf<{ subscriptions: { webhook: string; status: string }[] }>(list).subscriptions.map((s) => [
          new URL(s.webhook).pathname,
          s.status,
        ]),
      );
      expect(status['/gone']).not.toBe('active');
      expect(status['/moved']).toBe('active');
      expect(status['/hooks/bob']).toBe('active');
    } finally {
      await hooks.stop();
    }
  });

  it('bad crawl flags are bad usage: exit 2 with a one-line message', async () => {
    const runs = await runAll({
      zero: () => cli('crawl', '--concurrency', '0'),
      word: () => cli('crawl', '--concurrency', 'many'),
      bogus: () => cli('crawl', '--bogus'),
      faults: () =>
        feedrelayInProcess(['crawl', '--json', '--data-dir', dataDir], {
          env: { ...LOOPBACK, FEEDRELAY_FAULTS: 'aws=2' },
        }),
    });
    expectUsage(runs.zero!, /concurrency/);
    expectUsage(runs.word!, /concurrency/);
    expectUsage(runs.bogus!, /bogus/);
    expectUsage(runs.faults!, /FEEDRELAY_FAULTS/);
  });
});

describe('feedrelay crawl without an allowed network', () => {
  it('refuses a loopback feed: the run counts it failed and the feed keeps blocked_address', async () => {
    const feeds = new SampleFeedServer([{ path: '/blocked.xml', title: 'Blocked', format: 'rss', items: 1 }]);
    await feeds.start();
    const { dir, cleanup } = await scratch('feedrelay-cli-blocked-');
    const dataDir = path.join(dir, 'data');
    try {
      const url = feeds.url(feeds.feeds[0]!);
      expectExit(await feedrelayInProcess(['feeds', 'add', url, '--data-dir', dataDir]), 0);
      const run = await feedrelayInProcess(['crawl', '--json', '--data-dir', dataDir]);
      expectExit(run, 0);
      const summary = jsonOf<CrawlSummary>(run);
      expectSummaryShape(summary);
      expect(summary).toMatchObject({ feeds: 1, fetched: 0, notModified: 0, failed: 1, newArticles: 0 });
      expect(feeds.requests.total).toBe(0);
      const list = await feedrelayInProcess(['feeds', 'list', '--json', '--data-dir', dataDir]);
      expectExit(list, 0);
      expect(jsonOf<{ feeds: { lastError?: { code: string } }[] }>(list).feeds[0]?.lastError?.code).toBe(
        'blocked_address',
      );
    } finally {
      await feeds.stop();
      await cleanup();
    }
  });
});
