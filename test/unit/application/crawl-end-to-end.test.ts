import { Subscribe } from '../../../src/application/use-cases/subscribe.js';
import { newFeed } from '../../../src/domain/feed.js';
import { aDocument, anItem, aSubscription, feedUrl } from '../../support/mothers.js';
import { MemorySystem } from '../../support/memory-system.js';

/** Subscribes as users do (the feed's count and shards follow), subscription `n` of each feed given. */
async function subscribe(system: MemorySystem, subscriptions: readonly { url: string; n: number }[]): Promise<void> {
  await system.container.get(Subscribe).execute(
    subscriptions.map(({ url, n }) => {
      const { sink, secret } = aSubscription(url, n);
      return { feedUrl: url, sink, secret };
    }),
  );
}

describe('a crawl in memory, end to end', () => {
  it('fetches each of 10,000 feeds exactly once, in pages of 100, and ends the relay', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { feedPageSize: 100 } });
    const { feeds, fetcher, clock, queues } = system.adapters;
    const urls = Array.from({ length: 10_000 }, (_, i) => feedUrl(i));
    await feeds.addNew(urls.map((url) => newFeed(url, clock.now())));
    urls.forEach((url, i) => fetcher.publish(url, aDocument([anItem(i)])));

    // Act
    const summary = await system.crawl();

    // Assess
    expect([...fetcher.fetches.values()].every((n) => n === 1)).toBe(true);
    expect(fetcher.fetches.size).toBe(10_000);
    expect(summary).toMatchObject({
      feeds: 10_000,
      fetched: 10_000,
      newArticles: 10_000,
      scanComplete: true,
      complete: true,
    });
    // 100 pages of 100, plus the empty page DynamoDB answers after a full last page.
    expect(queues.sentCount.get('scan-feeds')).toBe(101);
  }, 120_000);

  it('notifies each of 2,500 subscribers exactly once per new article, then nothing on an unchanged second run', async () => {
    // Prepare: 200 feeds, 50 of which have subscribers (50 each) and new articles.
    const system = new MemorySystem({ settings: { subscriberPageSize: 7 } });
    const { feeds, fetcher, clock, sink } = system.adapters;
    const urls = Array.from({ length: 200 }, (_, i) => feedUrl(i));
    await feeds.addNew(urls.map((url) => newFeed(url, clock.now())));
    urls.forEach((url, i) => fetcher.publish(url, aDocument([anItem(i * 10), anItem(i * 10 + 1)])));
    await subscribe(
      system,
      urls.slice(0, 50).flatMap((url) => Array.from({ length: 50 }, (_, n) => ({ url, n }))),
    );

    // Act
    const first = await system.crawl();
    clock.advance(60);
    const second = await system.crawl();

    // Assess: 2,500 subscriptions × one notification (two new articles each) — each exactly once.
    expect(first).toMatchObject({
      fetched: 200,
      newArticles: 400,
      notifications: { delivered: 2_500, failed: 0, pending: 0 },
    });
    const perSubscription = new Map<string, number>();
    for (const n of sink.received) {
      perSubscription.set(n.subscription.id, (perSubscription.get(n.subscription.id) ?? 0) + 1);
      expect(n.articles.map((a) => a.guid).sort()).toHaveLength(2);
    }
    expect(perSubscription.size).toBe(2_500);
    expect([...perSubscription.values()].every((count) => count === 1)).toBe(true);
    expect(second).toMatchObject({
      notModified: 200,
      fetched: 0,
      newArticles: 0,
      notifications: { delivered: 0, failed: 0, pending: 0 },
    });
    expect(sink.received).toHaveLength(2_500);
  });

  it('stays exact when every message is delivered twice and batches crash after running', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { feedPageSize: 10, subscriberPageSize: 3 } });
    const { feeds, fetcher, clock, sink, articles } = system.adapters;
    const urls = Array.from({ length: 60 }, (_, i) => feedUrl(i));
    await feeds.addNew(urls.map((url) => newFeed(url, clock.now())));
    urls.forEach((url, i) => fetcher.publish(url, aDocument([anItem(i)])));
    await subscribe(
      system,
      urls.slice(0, 10).flatMap((url) => Array.from({ length: 10 }, (_, n) => ({ url, n }))),
    );
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;

    // Act
    const summary = await system.crawl({ duplicateRate: 1, crashRate: 0.3, random, maxReceiveCount: 50 });

    // Assess
    expect(summary).toMatchObject({ feeds: 60, fetched: 60, newArticles: 60, notifications: { delivered: 100 } });
    expect([...fetcher.fetches.values()].every((n) => n === 1)).toBe(true);
    expect(articles.all()).toHaveLength(60);
    expect(new Set(sink.received.map((n) => n.id)).size).toBe(sink.received.length);
    expect(sink.received).toHaveLength(100);
  });

  it('follows the cursor through pages that come back short or empty', async () => {
    // Prepare: pages hold 0 to 9 items, whatever the limit asks.
    let turn = 0;
    const system = new MemorySystem({ settings: { feedPageSize: 9 }, pageBudget: () => turn++ % 10 });
    const { feeds, fetcher, clock } = system.adapters;
    const urls = Array.from({ length: 137 }, (_, i) => feedUrl(i));
    await feeds.addNew(urls.map((url) => newFeed(url, clock.now())));
    urls.forEach((url, i) => fetcher.publish(url, aDocument([anItem(i)])));

    // Act
    const summary = await system.crawl();

    // Assess
    expect(summary).toMatchObject({ feeds: 137, fetched: 137, complete: true });
    expect(fetcher.fetches.size).toBe(137);
  });

  it('tells a subscriber of 250 new articles in three notifications of at most 100, each article once', async () => {
    // Prepare
    const system = new MemorySystem();
    const { feeds, fetcher, clock, sink } = system.adapters;
    await feeds.addNew([newFeed(feedUrl(1), clock.now())]);
    fetcher.publish(feedUrl(1), aDocument(Array.from({ length: 250 }, (_, i) => anItem(i))));
    await subscribe(system, [{ url: feedUrl(1), n: 1 }]);

    // Act
    const summary = await system.crawl();

    // Assess
    expect(summary).toMatchObject({ newArticles: 250, notifications: { delivered: 3 } });
    expect(sink.received.map((n) => n.articles.length).sort()).toEqual([100, 100, 50]);
    expect(new Set(sink.received.flatMap((n) => n.articles.map((a) => a.id))).size).toBe(250);
  });
});
