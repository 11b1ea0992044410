/**
 * The feed-scan relay of a whole crawl on the embedded stack with a tiny page size: the run walks the table
 * page by page, and a duplicated cursor message afterwards changes nothing.
 */
import { PageRelay } from '../../src/application/page-relay.js';
import { TOKENS } from '../../src/application/tokens.js';
import { feedScanSteps } from '../../src/application/step-ids.js';
import { AddFeeds } from '../../src/application/use-cases/add-feeds.js';
import { aFetchFeedMessage, aScanFeedsMessage } from '../support/mothers.js';
import { SummarizeRun } from '../../src/application/use-cases/summarize-run.js';
import { runCrawl } from '../../src/entrypoints/local/run-crawl.js';
import type { LocalApp } from '../../src/entrypoints/local/local-app.js';
import { CountingFeedServer, openApp, removeDir, tempDir, type TestFeed } from './crawl-support.js';

const FEEDS = 50;
const PAGE_SIZE = 7;

describe('the feed-scan relay with a tiny page size', () => {
  const feeds: TestFeed[] = Array.from({ length: FEEDS }, (_, i) => ({
    path: `/relay/${String(i).padStart(2, '0')}.xml`,
    items: 2,
  }));
  const server = new CountingFeedServer(feeds);
  let dataDir: string;
  let app: LocalApp | undefined;

  beforeAll(async () => {
    await server.start();
    dataDir = await tempDir('crawl-relay');
    app = await openApp(dataDir, { settings: { feedPageSize: PAGE_SIZE } });
    await app.container.get(AddFeeds).execute(feeds.map((f) => ({ url: server.url(f) })));
  });

  afterAll(async () => {
    await app?.close();
    await server.stop();
    await removeDir(dataDir);
  });

  it('relays page after page over the whole table; a duplicated page-0 message fetches nothing again', async () => {
    const report = await runCrawl(app!, { force: false });
    expect(report).toMatchObject({ feeds: FEEDS, fetched: FEEDS, failed: 0, newArticles: 2 * FEEDS });
    for (const feed of feeds) expect([feed.path, server.requestsOf(feed.path)]).toEqual([feed.path, 1]);

    const relay = app!.container.get(PageRelay);
    const progress = await relay.progress(feedScanSteps(report.runId, 0));
    expect(progress).toMatchObject({ dispatched: FEEDS, complete: true });
    expect(progress.pages).toHaveLength(Math.ceil(FEEDS / PAGE_SIZE));
    const summary = await app!.container.get(SummarizeRun).execute(report.runId);
    const stats = app!.runtime.stats();

    // The first cursor message again, and a fetch of one feed again, as an at-least-once queue may deliver.
    const { items: firstPage } = await app!.container.get(TOKENS.FeedPageReader).readPage(undefined, PAGE_SIZE);
    await app!.container
      .get(TOKENS.WorkDispatcher)
      .dispatch([
        aScanFeedsMessage({ runId: report.runId }),
        aFetchFeedMessage(firstPage.slice(0, 1), { runId: report.runId }),
      ]);
    await app!.runtime.waitForIdle({ timeoutMs: 30_000 });

    const after = app!.runtime.stats();
    // Both were received and handled (not failed, not left in the queue)…
    expect(after.records - stats.records).toBe(2);
    expect(after.failedRecords).toBe(stats.failedRecords);
    // …and did nothing: no page scanned again, no feed fetched again, the summary as it was.
    expect(server.totals()).toEqual({ ok: FEEDS, notModified: 0 });
    expect(await relay.progress(feedScanSteps(report.runId, 0))).toEqual(progress);
    expect(await app!.container.get(SummarizeRun).execute(report.runId)).toEqual(summary);
    expect(await app!.runtime.listDeadLetters()).toEqual({
      scanFeeds: 0,
      fetchFeed: 0,
      startFanOut: 0,
      scanSubscribers: 0,
      deliver: 0,
    });
  }, 60_000);
});
