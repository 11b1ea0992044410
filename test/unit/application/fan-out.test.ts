import { DeliveryTallies } from '../../../src/application/delivery-tallies.js';
import { PageRelay } from '../../../src/application/page-relay.js';
import { attemptsOfPages } from '../../../src/application/run-records.js';
import { fanOutSteps } from '../../../src/application/step-ids.js';
import { ScanSubscribersPage } from '../../../src/application/use-cases/scan-subscribers-page.js';
import { subscribersScope } from '../../../src/application/work-plans.js';
import { StartFanOut } from '../../../src/application/use-cases/start-fan-out.js';
import { Subscribe } from '../../../src/application/use-cases/subscribe.js';
import { identifyArticles } from '../../../src/domain/article.js';
import { articlesDiscovered, notificationIdFor, type ArticlesDiscovered } from '../../../src/domain/crawl-run.js';
import { encodeCursor } from '../../../src/domain/cursor.js';
import { InvalidCursorError } from '../../../src/domain/errors.js';
import { feedIdFor as feedIdOf, newFeed, type Feed } from '../../../src/domain/feed.js';
import type { Subscription } from '../../../src/domain/subscription.js';
import type { DeliverMessage, ScanSubscribersPageMessage } from '../../../src/application/work-messages.js';
import { MemorySystem } from '../../support/memory-system.js';
import { anItem, aScanSubscribersMessage, aSubscription, at, feedUrl } from '../../support/mothers.js';
import { takeHeld } from './held-messages.js';

const RUN = 'run_fan';

/** A feed with stored articles, and the discovery a fetch at `discoveredAt` would have announced. */
async function aDiscovery(
  system: MemorySystem,
  discoveredAt = at(3600),
  url = feedUrl(1),
  subscriberShards = 1,
): Promise<{ feed: Feed; event: ArticlesDiscovered }> {
  const feed = { ...newFeed(url, at(0)), subscriberShards };
  await system.adapters.feeds.addNew([feed]);
  const stored = identifyArticles([anItem(1), anItem(2)]).map((a) => ({
    ...a,
    feedId: feed.id,
    firstSeenAt: discoveredAt.toISOString(),
    firstSeenRunId: RUN,
  }));
  const event = articlesDiscovered(
    RUN,
    feed,
    stored.map((a) => a.id),
    discoveredAt.toISOString(),
  );
  await system.adapters.articles.putDiscovery(feed.id, event.eventId, stored);
  return { feed, event };
}

async function subscribe(
  system: MemorySystem,
  url: string,
  n: number,
  createdAt: Date,
  shards = 1,
): Promise<Subscription> {
  return system.adapters.subscriptions.add(aSubscription(url, n, createdAt), shards);
}

/** The first step of the relay over shard 0 of the discovery's feed. */
const firstStep = (event: ArticlesDiscovered, overrides: Partial<ScanSubscribersPageMessage> = {}) =>
  aScanSubscribersMessage({
    runId: event.runId,
    eventId: event.eventId,
    feed: { id: event.feedId, url: event.feedUrl },
    articleIds: event.articleIds,
    discoveredAt: event.discoveredAt,
    ...overrides,
  });

const reached = (system: MemorySystem): string[] => system.adapters.sink.received.map((n) => n.subscription.id).sort();

describe('StartFanOut', () => {
  it('scans the first page of a feed of one shard itself, and delivers its lone part of subscribers right there', async () => {
    // Prepare
    const system = new MemorySystem();
    const { feed, event } = await aDiscovery(system);
    const all: string[] = [];
    for (let n = 0; n < 3; n++) all.push((await subscribe(system, feed.url, n, at(0))).id);

    // Act
    const result = await system.container.get(StartFanOut).execute(event);

    // Assess
    expect(result).toEqual({
      pagesScanned: 1,
      delivered: [{ recipients: 3, delivered: 3, failed: 0, pending: 0, carried: 0 }],
    });
    const held = await takeHeld(system.adapters.queues);
    expect(held['scan-subscribers']).toEqual([]);
    expect(held.deliver).toEqual([]);
    expect(system.adapters.sink.received.map((n) => [n.subscription.id, n.id]).sort()).toEqual(
      all.map((id) => [id, notificationIdFor(id, event.eventId)]).sort(),
    );
  });

  it('fans K shards out through K relay chains, started at once, reaching every subscriber once', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { subscriberPageSize: 4 } });
    const { feed, event } = await aDiscovery(system, at(3600), feedUrl(1), 8);
    const all: string[] = [];
    for (let n = 0; n < 40; n++) all.push((await subscribe(system, feed.url, n, at(0), 8)).id);

    // Act
    await system.container.get(StartFanOut).execute(event);
    const firstSteps = (await takeHeld(system.adapters.queues))[
      'scan-subscribers'
    ] as unknown as ScanSubscribersPageMessage[];
    for (const step of firstSteps) await system.container.get(ScanSubscribersPage).execute(step);
    await system.drain();

    // Assess
    expect(firstSteps.map((m) => [m.shard, m.shards, m.page])).toEqual(
      Array.from({ length: 8 }, (_, shard) => [shard, 8, 0]),
    );
    expect(reached(system)).toEqual(all.sort());
    const chains = await Promise.all(
      firstSteps.map((m) => system.container.get(PageRelay).progress(fanOutSteps(event.runId, event.eventId, m.shard))),
    );
    expect(chains.every((chain) => chain.pages.length >= 1)).toBe(true);
    expect(chains.reduce((sum, chain) => sum + chain.dispatched, 0)).toBe(40);
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

  it('reaches the subscribers a bulk import placed as the feed grew to more shards', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { subscribersPerShard: 5 } });
    const url = feedUrl(1);
    const hooks = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        feedUrl: url,
        sink: { kind: 'webhook' as const, url: `https://hooks.example.net/${from + i}` },
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      }));
    await system.container.get(Subscribe).execute(hooks(0, 4));
    await system.container.get(Subscribe).execute(hooks(4, 30));
    const feed = (await system.adapters.feeds.get(feedIdOf(url)))!;
    const stored = identifyArticles([anItem(1)]).map((a) => ({
      ...a,
      feedId: feed.id,
      firstSeenAt: at(60).toISOString(),
      firstSeenRunId: RUN,
    }));
    const event = articlesDiscovered(
      RUN,
      feed,
      stored.map((a) => a.id),
      at(60).toISOString(),
    );
    await system.adapters.articles.putDiscovery(feed.id, event.eventId, stored);

    // Act
    await system.container.get(StartFanOut).execute(event);
    await system.drain();

    // Assess
    expect(feed).toMatchObject({ subscribers: 34, subscriberShards: 8 });
    expect(new Set(reached(system)).size).toBe(34);
    expect(system.adapters.sink.received).toHaveLength(34);
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

    // Assess: pages of 3, 3, 3 and 1, the first scanned by start-fan-out; each page one delivery message but
    // the last, which delivers its lone part itself.
    expect(reached(system)).toEqual(all.sort());
    expect(system.adapters.queues.sentCount.get('scan-subscribers')).toBe(3);
    expect(system.adapters.queues.sentCount.get('deliver')).toBe(3);
  });

  it('sends a page of 250 subscribers as three delivery messages of at most 100 recipients each', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { subscriberPageSize: 1000, recipientsPerDelivery: 100 } });
    const { feed, event } = await aDiscovery(system);
    const all: string[] = [];
    for (let n = 0; n < 250; n++) all.push((await subscribe(system, feed.url, n, at(0))).id);

    // Act
    const result = await system.container.get(ScanSubscribersPage).execute(firstStep(event));

    // Assess
    expect(result).toEqual({ kind: 'scanned', items: 250, dispatched: 250, last: true });
    const delivers = (await takeHeld(system.adapters.queues)).deliver as unknown as DeliverMessage[];
    expect(delivers.map((m) => [m.batch, m.recipients.length])).toEqual([
      ['0.0.0', 100],
      ['0.0.1', 100],
      ['0.0.2', 50],
    ]);
    expect(delivers.flatMap((m) => m.recipients.map((r) => r.subscriptionId)).sort()).toEqual(all.sort());
  });

  it('makes a page of 100 subscribers that another page follows one delivery message with every recipient and the new articles', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { subscriberPageSize: 100 } });
    const { feed, event } = await aDiscovery(system);
    const subscriptions: Subscription[] = [];
    for (let n = 0; n < 101; n++) subscriptions.push(await subscribe(system, feed.url, n, at(0)));
    subscriptions.sort((a, b) => (a.id < b.id ? -1 : 1)).pop();

    // Act
    const result = await system.container.get(ScanSubscribersPage).execute(firstStep(event));

    // Assess
    expect(result).toEqual({ kind: 'scanned', items: 100, dispatched: 100, last: false });
    expect(system.adapters.sink.received).toEqual([]);
    const delivers = (await takeHeld(system.adapters.queues)).deliver as unknown as DeliverMessage[];
    expect(delivers).toHaveLength(1);
    expect(delivers[0]).toEqual({
      v: 2,
      type: 'deliver',
      runId: RUN,
      eventId: event.eventId,
      feed: { id: feed.id, url: feed.url },
      articleIds: event.articleIds,
      batch: '0.0',
      attempt: 1,
      recipients: expect.any(Array),
    });
    expect(delivers[0]!.recipients.map((r) => r.subscriptionId).sort()).toEqual(subscriptions.map((s) => s.id).sort());
    expect(delivers[0]!.recipients[0]).toEqual({
      subscriptionId: expect.any(String),
      sink: { kind: 'webhook', url: expect.stringMatching(/^https:\/\/hooks\.example\.net\//) },
      secret: subscriptions[0]!.secret,
      createdAt: at(0).toISOString(),
    });
  });

  it('ends the relay on a page without a next cursor', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { subscriberPageSize: 5 } });
    const { feed, event } = await aDiscovery(system);
    for (let n = 0; n < 2; n++) await subscribe(system, feed.url, n, at(0));

    // Act
    const result = await system.container.get(ScanSubscribersPage).execute(firstStep(event));

    // Assess
    expect(result).toMatchObject({ kind: 'scanned', items: 2, dispatched: 2, last: true });
    expect((await takeHeld(system.adapters.queues))['scan-subscribers']).toEqual([]);
  });

  describe('a last page whose recipients make a lone part', () => {
    it('delivers it itself within its step: no deliver message, the tally in the page’s record and the run’s', async () => {
      // Prepare
      const system = new MemorySystem();
      const { feed, event } = await aDiscovery(system);
      for (let n = 0; n < 4; n++) await subscribe(system, feed.url, n, at(0));

      // Act
      const result = await system.container.get(ScanSubscribersPage).execute(firstStep(event));

      // Assess
      expect(result).toEqual({
        kind: 'scanned',
        items: 4,
        dispatched: 4,
        last: true,
        delivered: { recipients: 4, delivered: 4, failed: 0, pending: 0, carried: 0 },
      });
      expect((await takeHeld(system.adapters.queues)).deliver).toEqual([]);
      expect(system.adapters.sink.received.map((n) => n.articles.map((a) => a.id))).toEqual(
        Array.from({ length: 4 }, () => event.articleIds),
      );
      expect(await system.container.get(DeliveryTallies).of(RUN)).toEqual({ delivered: 4, failed: 0, pending: 0 });
      const pages = await system.adapters.ledger.completed(fanOutSteps(RUN, event.eventId, 0));
      expect(attemptsOfPages(pages)).toEqual([
        expect.objectContaining({ eventId: event.eventId, batch: '0.0', attempt: 1, delivered: 4, parts: 1 }),
      ]);
    });

    it('delivers nothing twice when its message comes again', async () => {
      // Prepare
      const system = new MemorySystem();
      const { feed, event } = await aDiscovery(system);
      for (let n = 0; n < 4; n++) await subscribe(system, feed.url, n, at(0));
      const scan = system.container.get(ScanSubscribersPage);
      await scan.execute(firstStep(event));

      // Act
      const again = await scan.execute(firstStep(event));

      // Assess
      expect(again).toEqual({ kind: 'skipped', reason: 'done' });
      expect(system.adapters.sink.received).toHaveLength(4);
      expect(await system.container.get(DeliveryTallies).of(RUN)).toEqual({ delivered: 4, failed: 0, pending: 0 });
    });

    it('sends who asks for a retry on as a deliver message of attempt 2, under the same webhook-ids', async () => {
      // Prepare
      const system = new MemorySystem();
      const { feed, event } = await aDiscovery(system);
      const busy = await subscribe(system, feed.url, 1, at(0));
      await subscribe(system, feed.url, 2, at(0));
      system.adapters.sink.answer(busy.sink.url, { kind: 'retry', reason: 'HTTP 503' });

      // Act
      const result = await system.container.get(ScanSubscribersPage).execute(firstStep(event));

      // Assess
      expect(result).toMatchObject({ delivered: { recipients: 2, delivered: 1, pending: 1 } });
      const [retry] = (await takeHeld(system.adapters.queues, { runDelayed: true }))
        .deliver as unknown as DeliverMessage[];
      expect(retry).toMatchObject({ batch: '0.0', attempt: 2, recipients: [{ subscriptionId: busy.id }] });
      expect(await system.container.get(DeliveryTallies).of(RUN)).toEqual({ delivered: 1, failed: 0, pending: 1 });
    });
  });

  it.each<[string, (feedId: string) => string]>([
    ['the feed scan', () => 'feeds'],
    ['another feed’s subscribers', () => subscribersScope('another-feed', 0)],
    ['another shard of the feed', (feedId) => subscribersScope(feedId, 1)],
  ])('refuses a cursor of %s before it claims the step', async (_what, scopeOf) => {
    // Prepare
    const system = new MemorySystem({ settings: { subscriberPageSize: 1 } });
    const { feed, event } = await aDiscovery(system);
    for (let n = 0; n < 3; n++) await subscribe(system, feed.url, n, at(0));
    const scan = system.container.get(ScanSubscribersPage);
    const step = (cursor: string) => scan.execute(firstStep(event, { page: 1, cursor }));
    const first = (await system.adapters.subscriptions.readPage(feed.id, 0, undefined, 1)).next!;

    // Act
    const refused = step(encodeCursor({ scope: scopeOf(feed.id), position: first }));

    // Assess
    await expect(refused).rejects.toThrow(InvalidCursorError);
    expect((await takeHeld(system.adapters.queues)).deliver).toEqual([]);
    await expect(step(encodeCursor({ scope: subscribersScope(feed.id, 0), position: first }))).resolves.toMatchObject({
      kind: 'scanned',
      dispatched: 1,
    });
  });
});

describe('ScanSubscribersPage over a shard nobody is in', () => {
  it('records its one empty page, so that the run knows the chain has ended', async () => {
    // Prepare
    const system = new MemorySystem();
    const { event } = await aDiscovery(system);
    const scan = system.container.get(ScanSubscribersPage);

    // Act
    const result = await scan.execute(firstStep(event));

    // Assess
    expect(result).toEqual({ kind: 'scanned', items: 0, dispatched: 0, last: true });
    const chain = await system.container.get(PageRelay).progress(fanOutSteps(event.runId, event.eventId, 0));
    expect(chain).toMatchObject({ complete: true, dispatched: 0 });
    expect(chain.pages.map((page) => page.extra)).toEqual([{ eventId: event.eventId, shard: 0, parts: 0 }]);
  });
});
