import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SampleFeedServer, type SampleFeed } from '../../src/entrypoints/local/sample-feeds.js';
import {
  articlesByWebhookId,
  expectExit,
  expectSummaryShape,
  feedrelay,
  jsonOf,
  LOOPBACK,
  newSecret,
  RecordingReceiver,
  scratch,
  type CrawlSummary,
  type RunResult,
} from './support.js';

/**
 * `crawl --json` under injected faults (failed AWS requests, duplicated messages, crashed invocations whose batch
 * comes back after the local visibility time-out): the results must stay exact. And `demo`.
 */

const FORMATS = ['rss', 'atom', 'json'] as const;
const FEEDS: SampleFeed[] = Array.from({ length: 20 }, (_, i) => ({
  path: `/faults/${i}.${FORMATS[i % 3]}`,
  title: `Fault feed ${i}`,
  format: FORMATS[i % 3]!,
  items: (i % 3) + 1,
}));
const ITEMS = FEEDS.reduce((sum, f) => sum + f.items, 0);
const SUBSCRIBERS = ['/hooks/s1', '/hooks/s2'];

describe('feedrelay crawl under FEEDRELAY_FAULTS', () => {
  let feeds: SampleFeedServer;
  let receiver: RecordingReceiver;
  let dir: string;
  let cleanup: () => Promise<void>;
  let dataDir: string;
  const cli = (args: string[], env: Record<string, string> = {}): Promise<RunResult> =>
    feedrelay([...args, '--data-dir', dataDir], { env: { ...LOOPBACK, ...env }, timeoutMs: 110_000 });

  beforeAll(async () => {
    ({ dir, cleanup } = await scratch('feedrelay-cli-faults-'));
    dataDir = path.join(dir, 'data');
    feeds = new SampleFeedServer(FEEDS.map((f) => ({ ...f })));
    receiver = new RecordingReceiver();
    await Promise.all([feeds.start(), receiver.start()]);
    const urls = feeds.feeds.map((f) => feeds.url(f));
    const opml = path.join(dir, 'feeds.opml');
    await writeFile(
      opml,
      `<?xml version="1.0"?>\n<opml version="2.0"><head/><body>\n${urls
        .map((url) => `<outline text="${url}" xmlUrl="${url}"/>`)
        .join('\n')}\n</body></opml>\n`,
    );
    const jsonl = path.join(dir, 'subscriptions.jsonl');
    await writeFile(
      jsonl,
      SUBSCRIBERS.flatMap((hook) => {
        const secret = newSecret();
        const webhook = receiver.endpoint(hook, secret);
        return urls.map((feed) => JSON.stringify({ feed, webhook, secret }));
      }).join('\n'),
    );
    const imported = await cli(['feeds', 'import', opml, '--json']);
    expectExit(imported, 0);
    expect(jsonOf(imported)).toMatchObject({ imported: FEEDS.length });
    const subscribed = await cli(['subscriptions', 'import', jsonl, '--json']);
    expectExit(subscribed, 0);
    expect(jsonOf(subscribed)).toMatchObject({ imported: FEEDS.length * SUBSCRIBERS.length });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([feeds.stop(), receiver.stop()]);
    await cleanup();
  });

  it('aws=0.05,duplicate=0.2,crash=0.1,seed=7: each article stored once, each delivered once per subscriber', async () => {
    const run = await cli(['crawl', '--json'], { FEEDRELAY_FAULTS: 'aws=0.05,duplicate=0.2,crash=0.1,seed=7' });
    expectExit(run, 0);
    const summary = jsonOf<CrawlSummary>(run);
    expectSummaryShape(summary);
    expect(summary).toMatchObject({
      feeds: FEEDS.length,
      fetched: FEEDS.length,
      notModified: 0,
      failed: 0,
      newArticles: ITEMS,
    });
    expect(summary.notifications.failed).toBe(0);
    expect(summary.notifications.pending).toBe(0);

    expect(receiver.received.filter((d) => !d.verified)).toEqual([]);
    let webhookIds = 0;
    for (const hook of SUBSCRIBERS) {
      const carried = articlesByWebhookId(receiver.received, hook);
      expect(carried.size).toBe(ITEMS);
      const spread = [...carried.entries()].filter(([, ids]) => ids.size !== 1);
      expect(spread).toEqual([]);
      webhookIds += new Set(receiver.received.filter((d) => d.path === hook).map((d) => d.webhookId)).size;
    }
    expect(summary.notifications.delivered).toBe(webhookIds);
  }, 120_000);

  it('the next crawl without faults finds nothing new and sends nothing', async () => {
    const before = receiver.received.length;
    const run = await cli(['crawl', '--json']);
    expectExit(run, 0);
    expect(jsonOf<CrawlSummary>(run)).toMatchObject({
      feeds: FEEDS.length,
      fetched: 0,
      notModified: FEEDS.length,
      failed: 0,
      newArticles: 0,
      notifications: { delivered: 0, failed: 0, pending: 0 },
    });
    expect(receiver.received.length).toBe(before);
  });
});

describe('feedrelay demo', () => {
  it('exits 0 and shows the 304s of the second crawl; --json is one JSON document', async () => {
    const [text, json] = await Promise.all([
      feedrelay(['demo'], { timeoutMs: 60_000 }),
      feedrelay(['demo', '--json'], { timeoutMs: 60_000 }),
    ]);
    expectExit(text, 0);
    expect(text.stdout).toMatch(/304/);
    expectExit(json, 0);
    const doc = jsonOf<{
      runs: CrawlSummary[];
      webhooks: { received: number; unique: number; duplicates: number; badSignatures: number };
    }>(json);
    expect(doc.runs.length).toBeGreaterThanOrEqual(2);
    expect(doc.runs[0]!.newArticles).toBeGreaterThan(0);
    expect(doc.runs[1]).toMatchObject({ fetched: 0, newArticles: 0 });
    expect(doc.runs[1]!.notModified).toBe(doc.runs[0]!.fetched);
    expect(doc.webhooks).toMatchObject({ duplicates: 0, badSignatures: 0 });
    expect(doc.webhooks.received).toBeGreaterThan(0);
  });
});
