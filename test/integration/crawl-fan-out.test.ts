/**
 * The update fan-out of whole crawls on the embedded stack: signed deliveries to every subscriber, retries of
 * a flaky endpoint under one webhook-id, nothing for a subscription about articles stored before it, and a
 * 410 that ends a subscription.
 */
import { AddFeeds } from '../../src/application/use-cases/add-feeds.js';
import { ListSubscriptions } from '../../src/application/use-cases/list-subscriptions.js';
import { Subscribe } from '../../src/application/use-cases/subscribe.js';
import type { Subscription } from '../../src/domain/subscription.js';
import { runCrawl, type CrawlReport } from '../../src/entrypoints/local/run-crawl.js';
import type { LocalApp } from '../../src/entrypoints/local/local-app.js';
import { WebhookReceiver } from '../../src/entrypoints/local/webhook-receiver.js';
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

const FEEDS = 30;
const ITEMS_PER_FEED = 2;

describe('fan-out of whole crawls on the embedded stack', () => {
  const feeds: TestFeed[] = Array.from({ length: FEEDS }, (_, i) => ({
    path: `/fan/${String(i).padStart(2, '0')}.xml`,
    items: ITEMS_PER_FEED,
  }));
  const [feedA, feedB, feedC] = feeds as [TestFeed, TestFeed, TestFeed];
  const server = new CountingFeedServer(feeds);
  const receiver = new WebhookReceiver();
  const hooks = new ScriptedHooks();
  let dataDir: string;
  let app: LocalApp;

  /** Two receiver subscribers on each of the three feeds: `/r/<feed>/<n>`. */
  const receiverPath = (feed: TestFeed, n: number) => `/r${feed.path}/${n}`;

  const urls = new Map<string, string>();
  const subscribe = async (feed: TestFeed, url: string, secret: string): Promise<Subscription> => {
    urls.set(new URL(url).pathname, url);
    const { subscriptions } = await app.container
      .get(Subscribe)
      .execute([{ feedUrl: server.url(feed), sink: { kind: 'webhook', url }, secret }]);
    return subscriptions[0]!;
  };

  const crawl = async (): Promise<CrawlReport> => {
    const report = await runCrawl(app, { force: false });
    const settled = await settleRun(app, report.runId);
    // What the crawl reported is what the run settles to: only pending notifications may have moved on.
    const sum = (n: CrawlReport['notifications']) => n.delivered + n.failed + n.pending;
    expect(sum(settled.notifications)).toBe(sum(report.notifications));
    expect(settled.notifications.delivered).toBeGreaterThanOrEqual(report.notifications.delivered);
    expect(settled.notifications.failed).toBeGreaterThanOrEqual(report.notifications.failed);
    expect({ ...settled, notifications: null }).toMatchObject({
      feeds: report.feeds,
      fetched: report.fetched,
      notModified: report.notModified,
      failed: report.failed,
      newArticles: report.newArticles,
      complete: true,
    });
    // The crawl summary, with the notifications as they stand once parked retries have been delivered.
    return {
      ...report,
      notifications: settled.notifications,
      fetched: settled.fetched,
      newArticles: settled.newArticles,
    };
  };

  const deliveriesTo = (path: string) => receiver.deliveries.filter((d) => d.path === path);

  beforeAll(async () => {
    await server.start();
    await receiver.start();
    await hooks.start();
    dataDir = await tempDir('crawl-fan-out');
    app = await openApp(dataDir, { settings: { deliveryBackoffSeconds: 1 } });
    await app.container.get(AddFeeds).execute(feeds.map((f) => ({ url: server.url(f) })));
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([server.stop(), receiver.stop(), hooks.stop()]);
    await removeDir(dataDir);
  });

  it('delivers each feed’s new articles to each of its subscribers, retrying a flaky one under one webhook-id', async () => {
    for (const feed of [feedA, feedB, feedC]) {
      for (const n of [1, 2]) {
        const secret = newSecret();
        await subscribe(feed, receiver.endpoint(receiverPath(feed, n), secret), secret);
      }
    }
    const flakySecret = newSecret();
    await subscribe(
      feedA,
      hooks.endpoint('/flaky', flakySecret, (n) => (n <= 2 ? 503 : 204)),
      flakySecret,
    );

    const report = await crawl();

    expect(report).toMatchObject({
      feeds: FEEDS,
      fetched: FEEDS,
      notModified: 0,
      failed: 0,
      newArticles: FEEDS * ITEMS_PER_FEED,
      notifications: { delivered: 7, failed: 0, pending: 0 },
    });
    expect(receiver.rejected).toEqual([]);
    for (const feed of [feedA, feedB, feedC]) {
      for (const n of [1, 2]) {
        const got = deliveriesTo(receiverPath(feed, n));
        expect(got).toHaveLength(1);
        expect(got[0]).toMatchObject({ verified: true, articles: ITEMS_PER_FEED });
      }
    }
    const flaky = hooks.of('/flaky');
    expect(flaky.map((r) => r.status)).toEqual([503, 503, 204]);
    expect(flaky.every((r) => r.verified)).toBe(true);
    expect(new Set(flaky.map((r) => r.webhookId)).size).toBe(1);
    expect(flaky[2]!.articleIds).toHaveLength(ITEMS_PER_FEED);
    // The retries were backed off (about a second, then one or two), not immediate.
    expect(flaky[1]!.at - flaky[0]!.at).toBeGreaterThanOrEqual(900);
    expect(flaky[2]!.at - flaky[1]!.at).toBeGreaterThanOrEqual(900);
    expect(await app.runtime.listDeadLetters()).toEqual({
      scanFeeds: 0,
      fetchFeed: 0,
      startFanOut: 0,
      scanSubscribers: 0,
      deliver: 0,
    });
  }, 60_000);

  it('gives a subscription created after a crawl nothing stored before it, then the next new article', async () => {
    const lateSecret = newSecret();
    await subscribe(feedB, hooks.endpoint('/late', lateSecret), lateSecret);
    const goneSecret = newSecret();
    await subscribe(
      feedC,
      hooks.endpoint('/gone', goneSecret, () => 410),
      goneSecret,
    );

    const quiet = await crawl();
    expect(quiet).toMatchObject({
      fetched: 0,
      notModified: FEEDS,
      newArticles: 0,
      notifications: { delivered: 0, failed: 0, pending: 0 },
    });
    expect(hooks.of('/late')).toEqual([]);
    expect(hooks.of('/gone')).toEqual([]);

    // Feed B publishes one more post; feed C too (its new subscriber answers 410).
    feedB.items += 1;
    feedC.items += 1;
    const receivedBefore = receiver.deliveries.length;
    const report = await crawl();
    expect(report).toMatchObject({
      fetched: 2,
      notModified: FEEDS - 2,
      newArticles: 2,
      // B: two receivers and the late one; C: two receivers delivered, the 410 one failed for good.
      notifications: { delivered: 5, failed: 0 + 1, pending: 0 },
    });

    const late = hooks.of('/late');
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ verified: true, status: 204 });
    expect(late[0]!.articleIds).toHaveLength(1);
    const newest = receiver.deliveries.slice(receivedBefore);
    expect(newest.map((d) => d.path).sort()).toEqual(
      [receiverPath(feedB, 1), receiverPath(feedB, 2), receiverPath(feedC, 1), receiverPath(feedC, 2)].sort(),
    );
    expect(newest.every((d) => d.articles === 1)).toBe(true);
    expect(hooks.of('/flaky')).toHaveLength(3);
  }, 60_000);

  it('ends a subscription whose endpoint answers 410: it shows ended and gets nothing more', async () => {
    expect(hooks.of('/gone').map((r) => r.status)).toEqual([410]);
    const listed: Subscription[] = [];
    for await (const s of app.container.get(ListSubscriptions).execute(server.url(feedC))) listed.push(s);
    const byUrl = new Map(listed.map((s) => [s.sink.url, s.status]));
    expect(listed).toHaveLength(3);
    expect(byUrl.get(urls.get('/gone')!)).toBe('ended');
    expect(byUrl.get(urls.get(receiverPath(feedC, 1))!)).toBe('active');
    expect(byUrl.get(urls.get(receiverPath(feedC, 2))!)).toBe('active');

    feedC.items += 1;
    const receivedBefore = receiver.deliveries.length;
    const report = await crawl();
    expect(report).toMatchObject({
      fetched: 1,
      newArticles: 1,
      notifications: { delivered: 2, failed: 0, pending: 0 },
    });
    expect(hooks.of('/gone')).toHaveLength(1);
    expect(
      receiver.deliveries
        .slice(receivedBefore)
        .map((d) => d.path)
        .sort(),
    ).toEqual([receiverPath(feedC, 1), receiverPath(feedC, 2)].sort());
  }, 60_000);
});
