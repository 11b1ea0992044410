/**
 * A whole crawl on the embedded stack with injected faults (AWS request failures, duplicated messages,
 * invocations discarded after they ran): the results stay exact.
 */
import { AddFeeds } from '../../src/application/use-cases/add-feeds.js';
import { Subscribe } from '../../src/application/use-cases/subscribe.js';
import { runCrawl } from '../../src/entrypoints/local/run-crawl.js';
import type { LocalApp } from '../../src/entrypoints/local/local-app.js';
import {
  CountingFeedServer,
  newSecret,
  openApp,
  removeDir,
  ScriptedHooks,
  settleRun,
  tempDir,
  type TestFeed,
} from './crawl-support.js';

const FEEDS = 40;
const SUBSCRIBED_FEEDS = 5;
/**
 * Seed 11 by default; `CRAWL_FAULTS_SEED=N npm run test:e2e -- test/integration/crawl-faults` tries another fault pattern,
 * and `CRAWL_FAULTS="aws=0.1,duplicate=0.5,crash=0.2"` other rates (the fault matrix of the README).
 */
const FAULTS = {
  aws: 0.05,
  duplicate: 0.3,
  crash: 0.1,
  ...Object.fromEntries(
    (process.env.CRAWL_FAULTS ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split('=').map((part, i) => (i === 0 ? part : Number(part)))),
  ),
  seed: Number(process.env.CRAWL_FAULTS_SEED ?? 11),
};

describe('a crawl with injected faults', () => {
  // 1 to 4 items per feed, so that a miscount cannot hide behind a uniform number.
  const feeds: TestFeed[] = Array.from({ length: FEEDS }, (_, i) => ({
    path: `/faulty/${String(i).padStart(2, '0')}.xml`,
    items: 1 + (i % 4),
  }));
  const server = new CountingFeedServer(feeds);
  const hooks = new ScriptedHooks();
  let dataDir: string;
  let app: LocalApp | undefined;
  const subscribed = feeds.slice(0, SUBSCRIBED_FEEDS);
  const hookPaths = new Map<string, string[]>();

  /** Per subscriber path: the webhook-ids under which each article arrived. */
  const webhookIdsByArticle = (path: string): Map<string, Set<string>> => {
    const byArticle = new Map<string, Set<string>>();
    for (const request of hooks.of(path)) {
      for (const articleId of request.articleIds) {
        if (!byArticle.has(articleId)) byArticle.set(articleId, new Set());
        byArticle.get(articleId)!.add(request.webhookId);
      }
    }
    return byArticle;
  };
  const noDeadLetters = { scanFeeds: 0, fetchFeed: 0, startFanOut: 0, scanSubscribers: 0, deliver: 0 };

  beforeAll(async () => {
    await server.start();
    await hooks.start();
    dataDir = await tempDir('crawl-faults');
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([server.stop(), hooks.stop()]);
    await removeDir(dataDir);
  });

  it('stores, counts and delivers exactly, fetching each feed once and dead-lettering nothing', async () => {
    app = await openApp(dataDir, { faults: FAULTS, settings: { deliveryBackoffSeconds: 1 } });
    await app.container.get(AddFeeds).execute(feeds.map((f) => ({ url: server.url(f) })));
    for (const feed of subscribed) {
      const paths = [1, 2].map((n) => `/h${feed.path}/${n}`);
      hookPaths.set(feed.path, paths);
      await app.container.get(Subscribe).execute(
        paths.map((path) => {
          const secret = newSecret();
          return {
            feedUrl: server.url(feed),
            sink: { kind: 'webhook' as const, url: hooks.endpoint(path, secret) },
            secret,
          };
        }),
      );
    }
    const itemsServed = feeds.reduce((sum, f) => sum + f.items, 0);

    const report = await runCrawl(app, { force: false });
    const summary = await settleRun(app, report.runId, 60_000);
    const stats = app.runtime.stats();

    // The faults did happen (at the default rates both kinds fire; at low rates over a small run, one may not).
    expect(stats.duplicated + stats.crashed).toBeGreaterThan(0);
    if (FAULTS.crash >= 0.1) expect(stats.crashed).toBeGreaterThan(0);

    expect(summary).toMatchObject({
      feeds: FEEDS,
      fetched: FEEDS,
      notModified: 0,
      failed: 0,
      newArticles: itemsServed,
      notifications: { delivered: 2 * SUBSCRIBED_FEEDS, failed: 0, pending: 0 },
      complete: true,
    });
    expect(report).toMatchObject({ feeds: FEEDS, fetched: FEEDS, newArticles: itemsServed });

    // Each feed fetched exactly once: a crashed invocation is discarded after its steps completed, so its
    // redelivered messages find the fetch done.
    const fetchedTwice = feeds
      .filter((f) => server.requestsOf(f.path) !== 1)
      .map((f) => [f.path, server.requestsOf(f.path)]);
    expect(fetchedTwice).toEqual([]);

    // Each subscriber gets each article of its feed under one webhook-id, in exactly one (verified) request.
    expect(hooks.requests.every((r) => r.verified && r.status === 204)).toBe(true);
    const rawDuplicates = hooks.requests.length - new Set(hooks.requests.map((r) => `${r.path} ${r.webhookId}`)).size;
    expect(rawDuplicates).toBe(0);
    for (const feed of subscribed) {
      for (const path of hookPaths.get(feed.path)!) {
        const idsByArticle = webhookIdsByArticle(path);
        expect([path, idsByArticle.size]).toEqual([path, feed.items]);
        for (const [articleId, ids] of idsByArticle) expect([path, articleId, ids.size]).toEqual([path, articleId, 1]);
      }
    }

    expect(await app.runtime.listDeadLetters()).toEqual(noDeadLetters);
  }, 120_000);

  it('stays exact on the next faulty crawl: 304s for the unchanged feeds, only the new posts stored and delivered', async () => {
    const changed = [...subscribed, ...feeds.slice(SUBSCRIBED_FEEDS, 2 * SUBSCRIBED_FEEDS)];
    for (const feed of changed) feed.items += 1;
    const requestsBefore = hooks.requests.length;

    const report = await runCrawl(app!, { force: false });
    const summary = await settleRun(app!, report.runId, 60_000);

    expect(summary).toMatchObject({
      feeds: FEEDS,
      fetched: changed.length,
      notModified: FEEDS - changed.length,
      failed: 0,
      newArticles: changed.length,
      notifications: { delivered: 2 * SUBSCRIBED_FEEDS, failed: 0, pending: 0 },
      complete: true,
    });
    const notTwice = feeds
      .filter((f) => server.requestsOf(f.path) !== 2)
      .map((f) => [f.path, server.requestsOf(f.path)]);
    expect(notTwice).toEqual([]);
    expect(server.totals()).toEqual({ ok: FEEDS + changed.length, notModified: FEEDS - changed.length });

    const newRequests = hooks.requests.slice(requestsBefore);
    expect(newRequests.every((r) => r.verified && r.status === 204 && r.articleIds.length === 1)).toBe(true);
    expect(newRequests).toHaveLength(2 * SUBSCRIBED_FEEDS);
    for (const feed of subscribed) {
      for (const path of hookPaths.get(feed.path)!) {
        const idsByArticle = webhookIdsByArticle(path);
        expect([path, idsByArticle.size]).toEqual([path, feed.items]);
        for (const [articleId, ids] of idsByArticle) expect([path, articleId, ids.size]).toEqual([path, articleId, 1]);
      }
    }
    expect(await app!.runtime.listDeadLetters()).toEqual(noDeadLetters);
  }, 120_000);
});
