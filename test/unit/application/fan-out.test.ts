import { ScanSubscribersPage, subscribersScope } from '../../../src/application/use-cases/scan-subscribers-page.js';
import { StartFanOut } from '../../../src/application/use-cases/start-fan-out.js';
import { identifyArticles } from '../../../src/domain/article.js';
import { articlesDiscovered, notificationIdFor, type ArticlesDiscovered } from '../../../src/domain/crawl-run.js';
import { encodeCursor } from '../../../src/domain/cursor.js';
import { InvalidCursorError } from '../../../src/domain/errors.js';
import { newFeed, type Feed } from '../../../src/domain/feed.js';
import type { Subscription } from '../../../src/domain/subscription.js';
import { MemorySystem } from '../../support/memory-system.js';
import { anItem, aScanSubscribersMessage, aSubscription, at, feedUrl } from '../../support/mothers.js';
import { takeHeld } from './held-messages.js';

const RUN = 'run_fan';

/** A feed with stored articles, and the discovery a fetch at `discoveredAt` would have announced. */
async function aDiscovery(
  system: MemorySystem,
  discoveredAt = at(3600),
  url = feedUrl(1),
): Promise<{ feed: Feed; event: ArticlesDiscovered }> {
  const feed = newFeed(url, at(0));
  await system.adapters.feeds.addNew([feed]);
  const stored = await system.adapters.articles.storeFirstSeen(
    feed.id,
    RUN,
    identifyArticles([anItem(1), anItem(2)]),
    discoveredAt,
  );
  return {
    feed,
    event: articlesDiscovered(
      RUN,
      feed.id,
      stored.map((a) => a.id),
      discoveredAt.toISOString(),
    ),
  };
}

async function subscribe(system: MemorySystem, url: string, n: number, createdAt: Date): Promise<Subscription> {
  return system.adapters.subscriptions.add(aSubscription(url, n, createdAt));
}

const reached = (system: MemorySystem): string[] => system.adapters.sink.received.map((n) => n.subscription.id).sort();

describe('StartFanOut', () => {
  it('starts the relay over the feed’s subscribers at its first page', async () => {
    // Prepare
    const system = new MemorySystem();
    const { event } = await aDiscovery(system);

    // Act
    await system.container.get(StartFanOut).execute(event);

    // Assess
    expect((await takeHeld(system.adapters.queues))['scan-subscribers']).toEqual([
      {
        v: 1,
        type: 'scan-subscribers',
        runId: RUN,
        eventId: event.eventId,
        feedId: event.feedId,
        articleIds: event.articleIds,
        discoveredAt: event.discoveredAt,
        page: 0,
      },
    ]);
  });

  it('makes no second delivery when the same discovery starts its fan-out twice', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { subscriberPageSize: 3 } });
    const { feed, event } = await aDiscovery(system);
    for (let n = 0; n < 7; n++) await subscribe(system, feed.url, n, at(0));
    const startFanOut = system.container.get(StartFanOut);

    // Act
    await startFanOut.execute(event);
    await startFanOut.execute(event);
    await system.drain();

    // Assess
    expect(system.adapters.sink.received).toHaveLength(7);
    expect(new Set(reached(system)).size).toBe(7);
  });
});

describe('ScanSubscribersPage', () => {
  it('delivers to the subscriptions created at or before the discovery, and to none created after', async () => {
    // Prepare
    const system = new MemorySystem();
    const { feed, event } = await aDiscovery(system, at(3600));
    const before = await subscribe(system, feed.url, 1, at(0));
    const sameInstant = await subscribe(system, feed.url, 2, at(3600));
    await subscribe(system, feed.url, 3, at(3601));

    // Act
    await system.container.get(StartFanOut).execute(event);
    await system.drain();

    // Assess
    expect(reached(system)).toEqual([before.id, sameInstant.id].sort());
  });

  it('delivers nothing to an ended subscription', async () => {
    // Prepare
    const system = new MemorySystem();
    const { feed, event } = await aDiscovery(system);
    const active = await subscribe(system, feed.url, 1, at(0));
    const ended = await subscribe(system, feed.url, 2, at(0));
    await system.adapters.subscriptions.end(feed.id, ended.id);

    // Act
    await system.container.get(StartFanOut).execute(event);
    await system.drain();

    // Assess
    expect(reached(system)).toEqual([active.id]);
  });

  it('delivers nothing to the subscribers of other feeds', async () => {
    // Prepare
    const system = new MemorySystem();
    const { event } = await aDiscovery(system, at(3600), feedUrl(1));
    await system.adapters.feeds.addNew([newFeed(feedUrl(2), at(0))]);
    await subscribe(system, feedUrl(2), 1, at(0));

    // Act
    await system.container.get(StartFanOut).execute(event);
    await system.drain();

    // Assess
    expect(system.adapters.sink.received).toEqual([]);
  });

  it('reaches every subscriber through pages of 3, relaying the cursor from page to page', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { subscriberPageSize: 3 } });
    const { feed, event } = await aDiscovery(system);
    const all: string[] = [];
    for (let n = 0; n < 10; n++) all.push((await subscribe(system, feed.url, n, at(0))).id);

    // Act
    await system.container.get(StartFanOut).execute(event);
    await system.drain();

    // Assess: pages of 3, 3, 3 and 1, each one message.
    expect(reached(system)).toEqual(all.sort());
    expect(system.adapters.queues.sentCount.get('scan-subscribers')).toBe(4);
  });

  it('sends each delivery under the notification id of its subscription and discovery, with the new articles', async () => {
    // Prepare
    const system = new MemorySystem();
    const { feed, event } = await aDiscovery(system);
    const subscription = await subscribe(system, feed.url, 1, at(0));

    // Act
    await system.container.get(ScanSubscribersPage).execute(
      aScanSubscribersMessage({
        runId: RUN,
        eventId: event.eventId,
        feedId: feed.id,
        articleIds: event.articleIds,
        discoveredAt: event.discoveredAt,
      }),
    );

    // Assess
    expect((await takeHeld(system.adapters.queues)).deliver).toEqual([
      {
        v: 1,
        type: 'deliver',
        runId: RUN,
        notificationId: notificationIdFor(subscription.id, event.eventId),
        feedId: feed.id,
        subscriptionId: subscription.id,
        articleIds: event.articleIds,
        attempt: 1,
      },
    ]);
  });

  it('ends the relay on a page without a next cursor', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { subscriberPageSize: 5 } });
    const { feed, event } = await aDiscovery(system);
    for (let n = 0; n < 2; n++) await subscribe(system, feed.url, n, at(0));

    // Act
    const result = await system.container
      .get(ScanSubscribersPage)
      .execute(aScanSubscribersMessage({ eventId: event.eventId, feedId: feed.id, discoveredAt: event.discoveredAt }));

    // Assess
    expect(result).toEqual({ kind: 'scanned', items: 2, dispatched: 2, last: true });
    expect((await takeHeld(system.adapters.queues))['scan-subscribers']).toEqual([]);
  });

  it.each([
    ['the feed scan', 'feeds'],
    ['another feed’s subscribers', subscribersScope('another-feed')],
  ])('refuses a cursor of %s before it claims the step', async (_what, scope) => {
    // Prepare
    const system = new MemorySystem({ settings: { subscriberPageSize: 1 } });
    const { feed, event } = await aDiscovery(system);
    for (let n = 0; n < 3; n++) await subscribe(system, feed.url, n, at(0));
    const scan = system.container.get(ScanSubscribersPage);
    const step = (cursor: string) =>
      scan.execute(
        aScanSubscribersMessage({
          eventId: event.eventId,
          feedId: feed.id,
          discoveredAt: event.discoveredAt,
          page: 1,
          cursor,
        }),
      );
    const first = (await system.adapters.subscriptions.readPage(feed.id, undefined, 1)).next!;

    // Act
    const refused = step(encodeCursor({ scope, position: first }));

    // Assess
    await expect(refused).rejects.toThrow(InvalidCursorError);
    expect((await takeHeld(system.adapters.queues)).deliver).toEqual([]);
    await expect(step(encodeCursor({ scope: subscribersScope(feed.id), position: first }))).resolves.toMatchObject({
      kind: 'scanned',
      dispatched: 1,
    });
  });
});

describe('ScanSubscribersPage over a feed nobody follows', () => {
  it('ends on its one empty page without writing a step to the ledger', async () => {
    // Prepare
    const system = new MemorySystem();
    const { event } = await aDiscovery(system);
    const scan = system.container.get(ScanSubscribersPage);

    // Act
    const result = await scan.execute(
      aScanSubscribersMessage({
        runId: event.runId,
        eventId: event.eventId,
        feedId: event.feedId,
        articleIds: event.articleIds,
        discoveredAt: event.discoveredAt,
      }),
    );

    // Assess
    expect(result).toEqual({ kind: 'scanned', items: 0, dispatched: 0, last: true });
    expect(await system.adapters.ledger.completed(`relay#${event.eventId}#`)).toEqual([]);
    expect(await system.adapters.ledger.claim(`relay#${event.eventId}#000000000`, 'probe', 60, at(0))).toBe('claimed');
  });
});
