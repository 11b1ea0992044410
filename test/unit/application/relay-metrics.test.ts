import { Subscribe } from '../../../src/application/use-cases/subscribe.js';
import { newFeed } from '../../../src/domain/feed.js';
import { aDocument, anItem, aSubscription, feedUrl } from '../../support/mothers.js';
import { MemorySystem } from '../../support/memory-system.js';

/** 20 feeds, the first 4 with 5 subscribers each; feed 19 fails to fetch; subscriber 0 of feed 0 may ask to retry. */
async function aSystem(options: { readonly retrying: boolean } = { retrying: true }): Promise<MemorySystem> {
  const system = new MemorySystem({ settings: { feedPageSize: 5, subscriberPageSize: 2 } });
  const { feeds, fetcher, clock, sink } = system.adapters;
  const urls = Array.from({ length: 20 }, (_, i) => feedUrl(i));
  await feeds.addNew(urls.map((url) => newFeed(url, clock.now())));
  urls.forEach((url, i) => fetcher.publish(url, aDocument([anItem(i * 10), anItem(i * 10 + 1)])));
  fetcher.failWith(urls[19]!, { code: 'http_error', message: 'HTTP 500', status: 500 });
  const { subscriptions } = await system.container.get(Subscribe).execute(
    urls.slice(0, 4).flatMap((url) =>
      Array.from({ length: 5 }, (_, n) => {
        const { sink: target, secret } = aSubscription(url, n);
        return { feedUrl: url, sink: target, secret };
      }),
    ),
  );
  expect(subscriptions).toHaveLength(20);
  if (options.retrying) sink.answer(subscriptions[0]!.sink.url, { kind: 'retry', reason: 'HTTP 503' });
  return system;
}

describe('the relay metrics the handlers count', () => {
  it('count a run as its summary does: runs, feeds, new articles, deliveries and relay pages', async () => {
    // Prepare
    const system = await aSystem();

    // Act
    const summary = await system.crawl();

    // Assess
    expect(summary).toMatchObject({
      fetched: 19,
      failed: 1,
      newArticles: 38,
      notifications: { delivered: 19, failed: 0, pending: 1 },
    });
    expect(system.adapters.metrics.all()).toMatchObject({
      RunsStarted: 1,
      RunsFinished: 0,
      FeedsFetched: 19,
      FeedsNotModified: 0,
      FeedsFailed: 1,
      NewArticles: 38,
      DeliveriesDelivered: 19,
      DeliveriesFailed: 0,
      // Its retry waits in the queue for its back-off.
      DeliveriesPending: 1,
    });
    // Feed scan: 4 full pages of 5 and the empty page after them; the fan-out: 4 feeds × 3 pages of ≤ 2.
    expect(system.adapters.metrics.total('RelayPages')).toBe(5 + 4 * 3);
  });

  it('count a run finished when the next start finds it complete, and unchanged feeds as not modified', async () => {
    // Prepare
    const system = await aSystem({ retrying: false });
    await system.crawl();
    system.adapters.clock.advance(3600);

    // Act
    await system.crawl({ force: true });

    // Assess
    expect(system.adapters.metrics.total('RunsStarted')).toBe(2);
    expect(system.adapters.metrics.total('RunsFinished')).toBe(1);
    expect(system.adapters.metrics.total('FeedsNotModified')).toBe(19);
  });

  it('do not count twice what a duplicated message finds done', async () => {
    // Prepare
    const system = await aSystem();

    // Act: every message is delivered twice.
    await system.crawl({ duplicateRate: 1, random: () => 0 });

    // Assess
    expect(system.adapters.metrics.all()).toMatchObject({
      RunsStarted: 1,
      FeedsFetched: 19,
      FeedsFailed: 1,
      NewArticles: 38,
      DeliveriesDelivered: 19,
      DeliveriesPending: 1,
    });
  });
});
