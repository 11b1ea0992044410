/**
 * A whole crawl of 500 feeds on the embedded stack, in-process: every feed fetched once, every article stored
 * once; a second crawl is all 304s; the state (feeds and their validators) survives closing the app and
 * opening a new one on the same data dir.
 */
import { AddFeeds } from '../../src/application/use-cases/add-feeds.js';
import { ListFeeds } from '../../src/application/use-cases/list-feeds.js';
import { runCrawl, type CrawlReport } from '../../src/entrypoints/local/run-crawl.js';
import type { LocalApp } from '../../src/entrypoints/local/local-app.js';
import { CountingFeedServer, openApp, removeDir, tempDir, type TestFeed } from './crawl-support.js';

const FEEDS = 500;
const ITEMS_PER_FEED = 3;

describe('a crawl of 500 feeds on the embedded stack', () => {
  const feeds: TestFeed[] = Array.from({ length: FEEDS }, (_, i) => ({
    path: `/feeds/${String(i).padStart(3, '0')}.xml`,
    items: ITEMS_PER_FEED,
  }));
  const server = new CountingFeedServer(feeds);
  let dataDir: string;
  let app: LocalApp | undefined;

  beforeAll(async () => {
    await server.start();
    dataDir = await tempDir('crawl-500');
    app = await openApp(dataDir);
  });

  afterAll(async () => {
    await app?.close();
    await server.stop();
    await removeDir(dataDir);
  });

  const snapshotRequests = () => new Map(feeds.map((f) => [f.path, server.requestsOf(f.path)]));

  it('imports 500 feeds, then fetches each exactly once and stores each article once', async () => {
    const { added, existing } = await app!.container.get(AddFeeds).execute(feeds.map((f) => ({ url: server.url(f) })));
    expect(added).toHaveLength(FEEDS);
    expect(existing).toBe(0);

    const report = await runCrawl(app!, { force: false });

    expect(report).toMatchObject<Partial<CrawlReport>>({
      feeds: FEEDS,
      fetched: FEEDS,
      notModified: 0,
      failed: 0,
      newArticles: FEEDS * ITEMS_PER_FEED,
      notifications: { delivered: 0, failed: 0, pending: 0 },
    });
    for (const feed of feeds) {
      expect([feed.path, server.ok.get(feed.path) ?? 0, server.notModified.get(feed.path) ?? 0]).toEqual([
        feed.path,
        1,
        0,
      ]);
    }
    expect(server.totals()).toEqual({ ok: FEEDS, notModified: 0 });
    expect(await app!.runtime.listDeadLetters()).toEqual({
      scanFeeds: 0,
      fetchFeed: 0,
      startFanOut: 0,
      scanSubscribers: 0,
      deliver: 0,
    });
  }, 120_000);

  it('crawls again: every feed answers 304, nothing is new, nothing is fetched', async () => {
    const before = snapshotRequests();
    const report = await runCrawl(app!, { force: false });

    expect(report).toMatchObject<Partial<CrawlReport>>({
      feeds: FEEDS,
      fetched: 0,
      notModified: FEEDS,
      failed: 0,
      newArticles: 0,
    });
    for (const feed of feeds)
      expect([feed.path, server.requestsOf(feed.path) - before.get(feed.path)!]).toEqual([feed.path, 1]);
    expect(server.totals()).toEqual({ ok: FEEDS, notModified: FEEDS });
  }, 120_000);

  it('keeps the feeds and their validators across a restart: a third crawl is still all 304s', async () => {
    await app!.close();
    app = undefined;
    app = await openApp(dataDir);

    const listed = [];
    for await (const feed of app.container.get(ListFeeds).execute()) listed.push(feed);
    expect(listed).toHaveLength(FEEDS);
    const byUrl = new Map(listed.map((f) => [f.url, f]));
    for (const feed of feeds) {
      const stored = byUrl.get(server.url(feed));
      expect(stored?.etag).toBe(server.etagOf(feed));
      expect(stored?.lastModified).toBeDefined();
    }

    const report = await runCrawl(app, { force: false });

    expect(report).toMatchObject<Partial<CrawlReport>>({
      feeds: FEEDS,
      fetched: 0,
      notModified: FEEDS,
      failed: 0,
      newArticles: 0,
    });
    expect(server.totals()).toEqual({ ok: FEEDS, notModified: 2 * FEEDS });
  }, 120_000);

  it('stores nothing twice when every body comes again with a 200', async () => {
    server.ignoreValidators = true;
    const report = await runCrawl(app!, { force: false });
    expect(report).toMatchObject<Partial<CrawlReport>>({
      feeds: FEEDS,
      fetched: FEEDS,
      notModified: 0,
      failed: 0,
      newArticles: 0,
    });
    expect(server.totals()).toEqual({ ok: 2 * FEEDS, notModified: 2 * FEEDS });
  }, 120_000);
});
