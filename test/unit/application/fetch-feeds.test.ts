import { jest } from '@jest/globals';
import type { Container } from 'inversify';
import { pino } from 'pino';
import type { InMemoryFeedFetcher } from '../../../src/adapters/memory/in-memory-feed-fetcher.js';
import type { EventPublisher } from '../../../src/application/ports/event-publisher.port.js';
import type { FeedFetcher, FetchRequest, FetchResult } from '../../../src/application/ports/feed-fetcher.port.js';
import type { CommitResult, FeedRepository } from '../../../src/application/ports/feed-store.port.js';
import { relaySettings, schedulePolicyOf } from '../../../src/application/settings.js';
import { TOKENS } from '../../../src/application/tokens.js';
import { parseWorkMessage } from '../../../src/application/work-messages.js';
import { AddFeeds } from '../../../src/application/use-cases/add-feeds.js';
import { FetchFeeds } from '../../../src/application/use-cases/fetch-feeds.js';
import { identifyArticles } from '../../../src/domain/article.js';
import { rememberDocument, unseen } from '../../../src/domain/recent-articles.js';
import { articlesDiscovered, EMPTY_FETCH_TALLY, type ArticlesDiscovered } from '../../../src/domain/crawl-run.js';
import { MAX_CARRIED_SEEN, type Feed, type FeedLayout, type FeedUpdate } from '../../../src/domain/feed.js';
import { retryDelaySeconds } from '../../../src/domain/schedule.js';
import { applicationModule } from '../../../src/entrypoints/container/application.module.js';
import { compose } from '../../../src/entrypoints/container/compose.js';
import { createMemoryAdapters, memoryModule, type MemoryAdapters } from '../../support/memory/memory-module.js';
import { createHandlers } from '../../../src/entrypoints/lambda/handlers.js';
import { MemorySystem, queueHandlersOf } from '../../support/memory-system.js';
import { aDocument, aFeed, aFetchFeedMessage, anItem, aSubscription } from '../../support/mothers.js';

const URL_A = 'https://example.com/feed.xml';
const URL_B = 'https://example.com/other.xml';
const ITEMS = [anItem(3), anItem(2), anItem(1)];

/** The tally of a message whose feeds ended as given. */
const tally = (counts: Partial<typeof EMPTY_FETCH_TALLY>) => ({ kind: 'fetched', ...EMPTY_FETCH_TALLY, ...counts });

/** An event publisher that loses its connection once: the first publish throws, later ones go through. */
class PublisherFailingOnce implements EventPublisher {
  private failed = false;
  constructor(private readonly inner: EventPublisher) {}

  async publish(events: readonly ArticlesDiscovered[]): Promise<void> {
    if (!this.failed) {
      this.failed = true;
      throw new Error('EventBridge: connection reset');
    }
    await this.inner.publish(events);
  }
}

/** A feed table whose first commit fails before it is written, as a throttled write would. */
class CommitFailingOnce implements FeedRepository {
  private failed = false;
  constructor(private readonly inner: FeedRepository) {}

  get(feedId: string): Promise<Feed | undefined> {
    return this.inner.get(feedId);
  }
  layoutsOf(feedIds: readonly string[]): Promise<Map<string, FeedLayout>> {
    return this.inner.layoutsOf(feedIds);
  }
  addNew(feeds: readonly Feed[]): Promise<Feed[]> {
    return this.inner.addNew(feeds);
  }
  async commit(feedId: string, expectedVersion: number, update: FeedUpdate): Promise<CommitResult> {
    if (!this.failed) {
      this.failed = true;
      throw new Error('DynamoDB: throughput exceeded');
    }
    return this.inner.commit(feedId, expectedVersion, update);
  }
  remove(feedId: string): Promise<boolean> {
    return this.inner.remove(feedId);
  }
  addSubscribers(feedId: string, added: number, perShard: number) {
    return this.inner.addSubscribers(feedId, added, perShard);
  }
}

/** The web with one permanent move: the old address answers with the document at the new one, marked 301. */
class PermanentMove implements FeedFetcher {
  constructor(
    private readonly web: InMemoryFeedFetcher,
    readonly moves: Map<string, string>,
  ) {}

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const to = this.moves.get(request.url);
    if (to === undefined) return this.web.fetch(request);
    const result = await this.web.fetch({ ...request, url: to });
    return result.kind === 'failed' ? result : { ...result, url: to, permanentRedirect: to };
  }
}

/** An environment whose invocation dies when it would publish what it found: after its commits. */
function dyingBeforeItPublishes(adapters: MemoryAdapters): Container {
  return containerWith(adapters, (c) =>
    c.rebind(TOKENS.EventPublisher).toConstantValue({
      publish: async () => {
        throw new Error('the invocation died');
      },
    }),
  );
}

function containerWith(adapters: MemoryAdapters, replace: (container: Container) => void): Container {
  const container = compose(applicationModule(), memoryModule(adapters));
  replace(container);
  return container;
}

/** A feed with one subscriber (so that what it finds is announced), publishing `ITEMS`. */
async function withFeed(adapters: MemoryAdapters, url = URL_A): Promise<Feed> {
  const feed = aFeed(url).build();
  await adapters.feeds.addNew([feed]);
  await adapters.feeds.addSubscribers(feed.id, 1, 100_000);
  adapters.fetcher.publish(url, aDocument(ITEMS, 'Example feed'));
  return feed;
}

/** The feeds as the scan reads them now, in one fetch message of `runId`. */
async function workFor(adapters: MemoryAdapters, urls: readonly string[], runId: string, batch = '0.0.0') {
  const wanted = new Set(urls);
  const { items } = await adapters.feeds.readPage(undefined, 1000);
  return aFetchFeedMessage(
    items.filter((feed) => wanted.has(feed.url)),
    { runId, batch },
  );
}

const idsOf = (items = ITEMS): string[] => identifyArticles(items).map((a) => a.id);

describe('FetchFeeds', () => {
  it('stores the new articles once and announces them in one ArticlesDiscovered', async () => {
    // Prepare
    const system = new MemorySystem();
    const { articles, bus, clock, queues } = system.adapters;
    const feed = await withFeed(system.adapters);

    // Act
    const result = await system.container.get(FetchFeeds).execute(await workFor(system.adapters, [URL_A], 'run_1'));

    // Assess
    expect(result).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 3 }));
    expect(
      articles
        .all()
        .map((a) => a.id)
        .sort(),
    ).toEqual([...idsOf()].sort());
    expect(articles.all().every((a) => a.firstSeenRunId === 'run_1' && a.feedId === feed.id)).toBe(true);
    expect(bus.published).toEqual([
      articlesDiscovered(
        'run_1',
        { id: feed.id, url: URL_A, title: 'Example feed', subscriberShards: 1 },
        idsOf(),
        clock.now().toISOString(),
      ),
    ]);
    expect(queues.depth('start-fan-out')).toBe(1);
  });

  it('stores what a feed nobody follows finds, and announces nothing', async () => {
    // Prepare
    const system = new MemorySystem();
    const feed = aFeed(URL_B).build();
    await system.adapters.feeds.addNew([feed]);
    system.adapters.fetcher.publish(URL_B, aDocument(ITEMS));

    // Act
    const result = await system.container.get(FetchFeeds).execute(await workFor(system.adapters, [URL_B], 'run_1'));

    // Assess
    expect(result).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 3 }));
    expect(system.adapters.articles.all()).toHaveLength(3);
    expect(system.adapters.bus.published).toEqual([]);
  });

  it('announces over the shards the feed has when it commits, not those the scan read', async () => {
    // Prepare: the scan read K = 1; an import doubles K to 2 before the fetch commits.
    const system = new MemorySystem();
    const feed = await withFeed(system.adapters);
    const message = await workFor(system.adapters, [URL_A], 'run_1');
    await system.adapters.feeds.addSubscribers(feed.id, 3, 2);

    // Act
    await system.container.get(FetchFeeds).execute(message);

    // Assess
    expect(message.feeds[0]!.subscriberShards ?? 1).toBe(1);
    expect(system.adapters.bus.published).toMatchObject([{ subscriberShards: 2 }]);
  });

  it('counts a whole message of feeds in one ledger record', async () => {
    // Prepare
    const system = new MemorySystem();
    await withFeed(system.adapters, URL_A);
    await withFeed(system.adapters, URL_B);
    system.adapters.fetcher.failWith(URL_B, { code: 'http_error', message: 'HTTP 500', status: 500 });

    // Act
    await system.container.get(FetchFeeds).execute(await workFor(system.adapters, [URL_A, URL_B], 'run_1', '0.4.1'));

    // Assess
    const [record, ...others] = await system.adapters.ledger.completed('fetch#run_1.0#');
    expect(others).toEqual([]);
    expect(record).toMatchObject({ ...EMPTY_FETCH_TALLY, feeds: 2, fetched: 1, failed: 1, newArticles: 3 });
    // It also names the message and what it announced, for a resume: one discovery, one fan-out chain.
    const [discovery] = system.adapters.bus.published;
    expect(record).toMatchObject({
      batch: '0.4.1',
      announced: `${discovery!.feedId}/${discovery!.eventId}/1`,
      chains: 1,
    });
  });

  it('commits the validators, title and recent articles under the next version', async () => {
    // Prepare
    const system = new MemorySystem();
    const feed = await withFeed(system.adapters);

    // Act
    await system.container.get(FetchFeeds).execute(await workFor(system.adapters, [URL_A], 'run_1'));

    // Assess
    const stored = await system.adapters.feeds.get(feed.id);
    expect(stored).toMatchObject({
      etag: '"v1"',
      title: 'Example feed',
      errorCount: 0,
      version: 1,
      lastFetchedAt: system.adapters.clock.now().toISOString(),
    });
    expect(stored!.seen).toHaveLength(3 * 12);
  });

  it('writes nothing and announces nothing for a 304 of a healthy feed', async () => {
    // Prepare
    const system = new MemorySystem();
    const { articles, bus, clock, feeds } = system.adapters;
    const feed = await withFeed(system.adapters);
    const fetchFeeds = system.container.get(FetchFeeds);
    await fetchFeeds.execute(await workFor(system.adapters, [URL_A], 'run_1'));
    const afterFirst = await feeds.get(feed.id);
    clock.advance(3600);

    // Act
    const result = await fetchFeeds.execute(await workFor(system.adapters, [URL_A], 'run_2'));

    // Assess
    expect(result).toEqual(tally({ feeds: 1, notModified: 1 }));
    expect(articles.all()).toHaveLength(3);
    expect(bus.published).toHaveLength(1);
    expect(await feeds.get(feed.id)).toEqual(afterFirst);
  });

  it('clears the errors of a failing feed that answers 304 again', async () => {
    // Prepare
    const system = new MemorySystem();
    const { fetcher, feeds, clock } = system.adapters;
    const feed = await withFeed(system.adapters);
    const fetchFeeds = system.container.get(FetchFeeds);
    await fetchFeeds.execute(await workFor(system.adapters, [URL_A], 'run_1'));
    fetcher.failWith(URL_A, { code: 'timeout', message: 'timed out' });
    await fetchFeeds.execute(await workFor(system.adapters, [URL_A], 'run_2'));
    fetcher.failWith(URL_A, undefined);
    clock.advance(3600);

    // Act
    const result = await fetchFeeds.execute(await workFor(system.adapters, [URL_A], 'run_3'));

    // Assess
    expect(result).toEqual(tally({ feeds: 1, notModified: 1 }));
    const stored = await feeds.get(feed.id);
    expect(stored).toMatchObject({ errorCount: 0, version: 3 });
    expect(stored!.lastError).toBeUndefined();
  });

  it('announces only the articles a changed document adds', async () => {
    // Prepare
    const system = new MemorySystem();
    const { bus, clock, fetcher } = system.adapters;
    await withFeed(system.adapters);
    const fetchFeeds = system.container.get(FetchFeeds);
    await fetchFeeds.execute(await workFor(system.adapters, [URL_A], 'run_1'));
    clock.advance(3600);
    fetcher.addItems(URL_A, [anItem(4)]);

    // Act
    const result = await fetchFeeds.execute(await workFor(system.adapters, [URL_A], 'run_2'));

    // Assess
    expect(result).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 1 }));
    expect(bus.published[1]).toMatchObject({ runId: 'run_2', articleIds: idsOf([anItem(4)]) });
    expect(system.adapters.articles.all()).toHaveLength(4);
  });

  it('does not find an article new again that its feed still lists after the article store let it go', async () => {
    // Prepare: the first fetch stored three articles; the store then forgets them (their retention ran out).
    const adapters = createMemoryAdapters();
    const forgetful = { putDiscovery: async () => undefined, getDiscovery: async () => [] };
    const container = containerWith(adapters, (c) => c.rebind(TOKENS.ArticleStore).toConstantValue(forgetful));
    await withFeed(adapters);
    const fetchFeeds = container.get(FetchFeeds);
    await fetchFeeds.execute(await workFor(adapters, [URL_A], 'run_1'));
    adapters.fetcher.publish(URL_A, aDocument(ITEMS, 'Example feed, new etag')); // a 200 with the same items

    // Act
    const result = await fetchFeeds.execute(await workFor(adapters, [URL_A], 'run_2'));

    // Assess
    expect(result).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 0 }));
    expect(adapters.bus.published).toHaveLength(1);
  });

  it('changes nothing when the same fetch message is replayed', async () => {
    // Prepare
    const system = new MemorySystem();
    const { feeds, fetcher, bus, articles } = system.adapters;
    const feed = await withFeed(system.adapters);
    const fetchFeeds = system.container.get(FetchFeeds);
    const message = await workFor(system.adapters, [URL_A], 'run_1');
    await fetchFeeds.execute(message);
    const feedAfterFirst = await feeds.get(feed.id);

    // Act
    const replay = await fetchFeeds.execute(message);

    // Assess
    expect(replay).toEqual({ kind: 'skipped', reason: 'done' });
    expect(fetcher.fetches.get(URL_A)).toBe(1);
    expect(bus.published).toHaveLength(1);
    expect(articles.all()).toHaveLength(3);
    expect(await feeds.get(feed.id)).toEqual(feedAfterFirst);
  });

  describe('a retry after an interruption', () => {
    it('announces what the interrupted attempt committed, when publishing failed', async () => {
      // Prepare
      const adapters = createMemoryAdapters();
      const container = containerWith(adapters, (c) =>
        c.rebind(TOKENS.EventPublisher).toConstantValue(new PublisherFailingOnce(adapters.bus)),
      );
      const feed = await withFeed(adapters);
      const fetchFeeds = container.get(FetchFeeds);
      const message = await workFor(adapters, [URL_A], 'run_1');
      const startedAt = adapters.clock.now().toISOString();
      await expect(fetchFeeds.execute(message)).rejects.toThrow('connection reset');
      adapters.clock.advance(30);

      // Act
      const retry = await fetchFeeds.execute(message);

      // Assess
      expect(retry).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 3 }));
      expect(adapters.bus.published).toEqual([
        articlesDiscovered('run_1', { id: feed.id, url: URL_A, title: 'Example feed' }, idsOf(), startedAt),
      ]);
      expect(adapters.articles.all()).toHaveLength(3);
    });

    it('announces the same articles under the same event id, when committing the feed failed', async () => {
      // Prepare
      const adapters = createMemoryAdapters();
      const container = containerWith(adapters, (c) =>
        c.rebind(TOKENS.FeedRepository).toConstantValue(new CommitFailingOnce(adapters.feeds)),
      );
      const feed = await withFeed(adapters);
      const fetchFeeds = container.get(FetchFeeds);
      const message = await workFor(adapters, [URL_A], 'run_1');
      await expect(fetchFeeds.execute(message)).rejects.toThrow('throughput exceeded');
      adapters.clock.advance(30);

      // Act
      const retry = await fetchFeeds.execute(message);

      // Assess: nothing was announced before the commit; the retry commits and announces once.
      expect(retry).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 3 }));
      expect(adapters.bus.published).toHaveLength(1);
      expect(adapters.bus.published[0]!.articleIds).toEqual([...idsOf()].sort());
      expect(await adapters.feeds.get(feed.id)).toMatchObject({ etag: '"v1"', title: 'Example feed', version: 1 });
    });

    it('replays its own commit under the same event ids after a crash, and counts it once', async () => {
      // Prepare: an attempt commits, then its invocation dies before publishing or completing its step.
      const adapters = createMemoryAdapters();
      const container = dyingBeforeItPublishes(adapters);
      await withFeed(adapters);
      const message = await workFor(adapters, [URL_A], 'run_1');
      const committedAt = adapters.clock.now().toISOString();
      await expect(container.get(FetchFeeds).execute(message)).rejects.toThrow('died');
      adapters.fetcher.addItems(URL_A, [anItem(4)]); // the feed changes before the retry
      adapters.clock.advance(120);

      // Act
      const healthy = compose(applicationModule(), memoryModule(adapters));
      const retry = await healthy.get(FetchFeeds).execute(message);

      // Assess: the retry announces exactly what the commit recorded, discovered when it was committed; the fourth
      // item waits for the next run.
      expect(retry).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 3 }));
      expect(adapters.bus.published).toHaveLength(1);
      expect(adapters.bus.published[0]!.articleIds).toEqual([...idsOf()].sort());
      expect(adapters.bus.published[0]!.discoveredAt).toBe(committedAt);
      const next = await healthy.get(FetchFeeds).execute(await workFor(adapters, [URL_A], 'run_2'));
      expect(next).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 1 }));
    });

    it('replays a commit that an earlier version recorded by article ids', async () => {
      // Prepare: as above, but the commit lists its article ids, as commits did before they named their events.
      const adapters = createMemoryAdapters();
      const container = dyingBeforeItPublishes(adapters);
      const feed = await withFeed(adapters);
      const message = await workFor(adapters, [URL_A], 'run_1');
      await expect(container.get(FetchFeeds).execute(message)).rejects.toThrow('died');
      const committed = (await adapters.feeds.get(feed.id))!;
      const { events, ...commit } = committed.lastCommit!;
      const articleIds = (await adapters.articles.getDiscovery(feed.id, events![0]!)).map((a) => a.id);
      adapters.feeds.put({ ...committed, lastCommit: { ...commit, announced: articleIds } });

      // Act
      const healthy = compose(applicationModule(), memoryModule(adapters));
      const retry = await healthy.get(FetchFeeds).execute(message);

      // Assess: the same discovery, under the same event id.
      expect(retry).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 3 }));
      expect(adapters.bus.published.map((d) => [d.eventId, d.articleIds])).toEqual([[events![0], [...idsOf()].sort()]]);
    });

    it('lets each subscriber hear of the articles once although the event went out twice', async () => {
      // Prepare
      const adapters = createMemoryAdapters();
      const container = containerWith(adapters, (c) =>
        c.rebind(TOKENS.EventPublisher).toConstantValue(new PublisherFailingOnce(adapters.bus)),
      );
      await withFeed(adapters);
      await adapters.subscriptions.add(aSubscription(URL_A, 1));
      const message = await workFor(adapters, [URL_A], 'run_1');
      await expect(container.get(FetchFeeds).execute(message)).rejects.toThrow();
      await container.get(FetchFeeds).execute(message);
      await adapters.bus.publish([...adapters.bus.published]); // and once more, as a duplicated event would be

      // Act
      await adapters.queues.drain(queueHandlersOf(createHandlers(container, pino({ level: 'silent' }))));

      // Assess
      expect(adapters.sink.received).toHaveLength(1);
      expect(adapters.sink.received[0]!.articles.map((a) => a.id).sort()).toEqual([...idsOf()].sort());
    });
  });

  describe('a feed whose recent-article set is too long to carry in its work', () => {
    /** 200 items: a document long enough for its set (twice its size) to pass what a message carries. */
    const LONG = Array.from({ length: 200 }, (_, i) => anItem(200 - i));

    /** A feed that lists `LONG` and listed 200 other articles before them. */
    async function withLongMemory(adapters: MemoryAdapters): Promise<Feed> {
      const older = Array.from({ length: 200 }, (_, i) => `old-${i}`.padEnd(32, '0'));
      const seen = rememberDocument(rememberDocument(undefined, older), idsOf(LONG));
      // It holds the document's validators: unchanged, the document answers 304.
      const feed = { ...aFeed(URL_A).build(), seen, etag: '"v1"' };
      await adapters.feeds.addNew([feed]);
      await adapters.feeds.addSubscribers(feed.id, 1, 100_000);
      adapters.fetcher.publish(URL_A, aDocument(LONG, 'Example feed'));
      return (await adapters.feeds.get(feed.id))!;
    }

    it('leaves the set out of the message, marked as left in the table', async () => {
      // Prepare
      const system = new MemorySystem();
      const feed = await withLongMemory(system.adapters);

      // Act
      const message = await workFor(system.adapters, [URL_A], 'run_1');
      const [carried] = message.feeds;

      // Assess
      expect(parseWorkMessage(JSON.stringify(message), 'fetch-feed')).toEqual(message);
      expect(feed.seen!.length).toBeGreaterThan(MAX_CARRIED_SEEN);
      expect(carried).not.toHaveProperty('seen');
      expect(carried).toMatchObject({ id: feed.id, seenInTable: true });
    });

    it('reads the set when the document changed, and announces only what it adds', async () => {
      // Prepare
      const system = new MemorySystem();
      const { bus, feeds, fetcher } = system.adapters;
      const feed = await withLongMemory(system.adapters);
      fetcher.addItems(URL_A, [anItem(201)]);

      // Act
      const result = await system.container.get(FetchFeeds).execute(await workFor(system.adapters, [URL_A], 'run_1'));

      // Assess
      expect(result).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 1 }));
      expect(bus.published).toMatchObject([{ articleIds: idsOf([anItem(201)]) }]);
      const stored = await feeds.get(feed.id);
      expect(unseen(stored!.seen, idsOf([...LONG, anItem(201)]))).toEqual([]);
      expect(stored!.seen!.length).toBeGreaterThan(feed.seen!.length);
    });

    it('reads nothing for a 304', async () => {
      // Prepare
      const system = new MemorySystem();
      const { feeds } = system.adapters;
      const feed = await withLongMemory(system.adapters);
      const work = await workFor(system.adapters, [URL_A], 'run_1');
      const reads = jest.spyOn(feeds, 'get');

      // Act
      const result = await system.container.get(FetchFeeds).execute(work);

      // Assess
      expect(result).toEqual(tally({ feeds: 1, notModified: 1 }));
      expect(reads).not.toHaveBeenCalled();
      expect(await feeds.get(feed.id)).toEqual(feed);
    });

    it('keeps the set when it commits a failure', async () => {
      // Prepare
      const system = new MemorySystem();
      const { feeds, fetcher } = system.adapters;
      const feed = await withLongMemory(system.adapters);
      fetcher.failWith(URL_A, { code: 'timeout', message: 'timed out' });

      // Act
      const result = await system.container.get(FetchFeeds).execute(await workFor(system.adapters, [URL_A], 'run_1'));

      // Assess
      expect(result).toEqual(tally({ feeds: 1, failed: 1 }));
      expect(await feeds.get(feed.id)).toMatchObject({ errorCount: 1, version: 1, seen: feed.seen });
    });
  });

  describe('optimistic concurrency', () => {
    it('never brings back a feed removed while it was being fetched', async () => {
      // Prepare
      const system = new MemorySystem();
      const feed = await withFeed(system.adapters);
      const message = await workFor(system.adapters, [URL_A], 'run_1');
      await system.adapters.feeds.remove(feed.id);

      // Act
      const result = await system.container.get(FetchFeeds).execute(message);

      // Assess
      expect(result).toEqual(tally({ feeds: 1, skipped: 1 }));
      expect(await system.adapters.feeds.get(feed.id)).toBeUndefined();
      expect(system.adapters.bus.published).toEqual([]);
    });

    it("lets no stale copy of a feed's work overwrite what another run committed", async () => {
      // Prepare: two runs read the feed at the same version; the first commits a failure.
      const system = new MemorySystem();
      const { fetcher, feeds } = system.adapters;
      const feed = await withFeed(system.adapters);
      const fetchFeeds = system.container.get(FetchFeeds);
      const early = await workFor(system.adapters, [URL_A], 'run_1');
      const late = await workFor(system.adapters, [URL_A], 'run_2');
      fetcher.failWith(URL_A, { code: 'http_error', message: 'HTTP 500', status: 500 });
      await fetchFeeds.execute(early);
      fetcher.failWith(URL_A, undefined);

      // Act
      const result = await fetchFeeds.execute(late);

      // Assess: the failure stays recorded, the stale success is not written and announces nothing.
      expect(result).toEqual(tally({ feeds: 1, skipped: 1 }));
      expect(await feeds.get(feed.id)).toMatchObject({ errorCount: 1, version: 1, lastError: { code: 'http_error' } });
      expect(system.adapters.bus.published).toEqual([]);
    });
  });

  describe('when the fetch fails', () => {
    it('records the error on the feed and backs off', async () => {
      // Prepare
      const system = new MemorySystem();
      const { fetcher, feeds, clock, bus } = system.adapters;
      const feed = await withFeed(system.adapters);
      fetcher.failWith(URL_A, { code: 'http_error', message: 'HTTP 500', status: 500 });

      // Act
      const result = await system.container.get(FetchFeeds).execute(await workFor(system.adapters, [URL_A], 'run_1'));

      // Assess
      expect(result).toEqual(tally({ feeds: 1, failed: 1 }));
      expect(await feeds.get(feed.id)).toMatchObject({
        status: 'active',
        errorCount: 1,
        lastError: { code: 'http_error', message: 'HTTP 500', at: clock.now().toISOString() },
        failingSince: clock.now().toISOString(),
        nextFetchAt: new Date(
          clock.now().getTime() + retryDelaySeconds(feed.id, 1, undefined, schedulePolicyOf(relaySettings())) * 1000,
        ).toISOString(),
      });
      expect(bus.published).toEqual([]);
    });

    it('waits as long as a Retry-After asks', async () => {
      // Prepare
      const system = new MemorySystem();
      const { fetcher, feeds, clock } = system.adapters;
      const feed = await withFeed(system.adapters);
      fetcher.failWith(URL_A, { code: 'rate_limited', message: 'HTTP 429', status: 429, retryAfterSeconds: 7200 });

      // Act
      await system.container.get(FetchFeeds).execute(await workFor(system.adapters, [URL_A], 'run_1'));

      // Assess
      expect((await feeds.get(feed.id))!.nextFetchAt).toBe(new Date(clock.now().getTime() + 7_200_000).toISOString());
    });

    it('leaves a backed-off feed alone in the next scheduled run and fetches it once it is due', async () => {
      // Prepare
      const system = new MemorySystem();
      const { fetcher, clock } = system.adapters;
      await withFeed(system.adapters);
      fetcher.failWith(URL_A, { code: 'timeout', message: 'timed out' });
      await system.crawl();
      fetcher.failWith(URL_A, undefined);

      // Act
      clock.advance(30);
      const tooEarly = await system.crawl();
      clock.advance(30);
      const due = await system.crawl();

      // Assess
      expect(tooEarly).toMatchObject({ feeds: 0, fetched: 0 });
      expect(due).toMatchObject({ feeds: 1, fetched: 1, newArticles: 3 });
    });
  });

  it('marks a feed that answers 410 gone, and no later run dispatches it', async () => {
    // Prepare
    const system = new MemorySystem();
    const { fetcher, feeds } = system.adapters;
    const feed = await withFeed(system.adapters);
    fetcher.failWith(URL_A, { code: 'gone', message: 'HTTP 410', status: 410 });

    // Act
    const result = await system.container.get(FetchFeeds).execute(await workFor(system.adapters, [URL_A], 'run_1'));
    const next = await system.crawl({ force: true });

    // Assess
    expect(result).toEqual(tally({ feeds: 1, failed: 1 }));
    expect((await feeds.get(feed.id))!.status).toBe('gone');
    expect(next).toMatchObject({ feeds: 0, fetched: 0, failed: 0 });
    expect(fetcher.fetches.get(URL_A)).toBe(1);
  });

  it('follows a permanent redirect once a second fetch confirms it: the feed keeps its id and is fetched at its new URL from then on', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    const moved = 'https://feeds.example.org/moved.xml';
    const web = new PermanentMove(adapters.fetcher, new Map([[URL_A, moved]]));
    const container = containerWith(adapters, (c) => c.rebind(TOKENS.FeedFetcher).toConstantValue(web));
    const feed = aFeed(URL_A).build();
    await adapters.feeds.addNew([feed]);
    adapters.fetcher.publish(moved, aDocument(ITEMS));
    const fetchFeeds = container.get(FetchFeeds);

    // Act
    const first = await fetchFeeds.execute(await workFor(adapters, [URL_A], 'run_1'));
    const afterFirst = await adapters.feeds.get(feed.id);
    adapters.clock.advance(60);
    const second = await fetchFeeds.execute(await workFor(adapters, [URL_A], 'run_2'));
    web.moves.delete(URL_A); // the old address stops answering (404)
    adapters.clock.advance(60);
    const third = await fetchFeeds.execute(await workFor(adapters, [moved], 'run_3'));

    // Assess
    expect(first).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 3 }));
    expect(afterFirst).toMatchObject({ url: URL_A, redirect: { to: moved } });
    expect(second).toEqual(tally({ feeds: 1, notModified: 1 }));
    expect(third).toEqual(tally({ feeds: 1, notModified: 1 }));
    const now = await adapters.feeds.get(feed.id);
    expect(now).toMatchObject({ id: feed.id, url: moved, errorCount: 0 });
    expect(now?.redirect).toBeUndefined();
  });

  it('sets the next fetch from the feed interval when one is configured', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    const container = compose(applicationModule({ feedIntervalSeconds: 3600 }), memoryModule(adapters));
    const feed = await withFeed(adapters);

    // Act
    await container.get(FetchFeeds).execute(await workFor(adapters, [URL_A], 'run_1'));

    // Assess
    expect((await adapters.feeds.get(feed.id))!.nextFetchAt).toBe(
      new Date(adapters.clock.now().getTime() + 3_600_000).toISOString(),
    );
  });
});

describe('AddFeeds', () => {
  it('makes a feed that had gone active again when it is added again', async () => {
    // Prepare
    const system = new MemorySystem();
    const add = system.container.get(AddFeeds);
    const [feed] = (await add.execute([{ url: 'https://feeds.example.com/gone.xml' }])).added;
    system.adapters.feeds.put({ ...feed!, status: 'gone' });

    // Act
    const again = await add.execute([{ url: 'https://feeds.example.com/gone.xml' }]);

    // Assess
    expect(again.added).toHaveLength(1);
    expect(await system.adapters.feeds.get(feed!.id)).toMatchObject({ status: 'active', version: 1 });
  });
});
