import type { Container } from 'inversify';
import { pino } from 'pino';
import type { QueueHandler } from '../../../src/adapters/memory/in-memory-queues.js';
import type { InMemoryFeedFetcher } from '../../../src/adapters/memory/in-memory-feed-fetcher.js';
import type { EventPublisher } from '../../../src/application/ports/event-publisher.port.js';
import type { FeedFetcher, FetchRequest, FetchResult } from '../../../src/application/ports/feed-fetcher.port.js';
import type { FeedRepository } from '../../../src/application/ports/feed-store.port.js';
import { TOKENS } from '../../../src/application/tokens.js';
import { FetchFeed } from '../../../src/application/use-cases/fetch-feed.js';
import { identifyArticles } from '../../../src/domain/article.js';
import { articlesDiscovered, type ArticlesDiscovered } from '../../../src/domain/crawl-run.js';
import type { Feed } from '../../../src/domain/feed.js';
import { applicationModule } from '../../../src/entrypoints/container/application.module.js';
import { compose } from '../../../src/entrypoints/container/compose.js';
import {
  createMemoryAdapters,
  memoryModule,
  type MemoryAdapters,
} from '../../../src/entrypoints/container/memory.module.js';
import { createHandlers } from '../../../src/entrypoints/lambda/handlers.js';
import { MemorySystem } from '../../support/memory-system.js';
import { aDocument, aFeed, aFetchFeedMessage, anItem, aSubscription, at } from '../../support/mothers.js';

const URL_A = 'https://example.com/feed.xml';
const ITEMS = [anItem(3), anItem(2), anItem(1)];

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

/** A feed table whose first save fails, as a throttled write would. */
class FeedSaveFailingOnce implements FeedRepository {
  private failed = false;
  constructor(private readonly inner: FeedRepository) {}

  get(feedId: string): Promise<Feed | undefined> {
    return this.inner.get(feedId);
  }
  addNew(feeds: readonly Feed[]): Promise<Feed[]> {
    return this.inner.addNew(feeds);
  }
  async save(feed: Feed): Promise<void> {
    if (!this.failed) {
      this.failed = true;
      throw new Error('DynamoDB: throughput exceeded');
    }
    await this.inner.save(feed);
  }
  addSubscribers(feedId: string, added: number, perShard: number) {
    return this.inner.addSubscribers(feedId, added, perShard);
  }
  remove(feedId: string): Promise<boolean> {
    return this.inner.remove(feedId);
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

/** The Lambda handlers of a container, by the queue each one reads. */
function queueHandlersOf(container: Container): Record<string, QueueHandler> {
  const h = createHandlers(container, pino({ level: 'silent' }));
  return {
    'scan-feeds': (records) => h.scanFeeds({ Records: records }),
    'fetch-feed': (records) => h.fetchFeed({ Records: records }),
    'start-fan-out': (records) => h.startFanOut({ Records: records }),
    'scan-subscribers': (records) => h.scanSubscribers({ Records: records }),
    deliver: (records) => h.deliver({ Records: records }),
  };
}

/** The in-memory adapters wired as in the Lambdas, with some ports replaced. */
function containerWith(adapters: MemoryAdapters, replace: (container: Container) => void): Container {
  const container = compose(applicationModule(), memoryModule(adapters));
  replace(container);
  return container;
}

async function withFeed(adapters: MemoryAdapters, url = URL_A): Promise<Feed> {
  const feed = aFeed(url).build();
  await adapters.feeds.addNew([feed]);
  adapters.fetcher.publish(url, aDocument(ITEMS, 'Example feed'));
  return feed;
}

const sortedIds = (items = ITEMS): string[] =>
  identifyArticles(items)
    .map((a) => a.id)
    .sort();

describe('FetchFeed', () => {
  it('stores the new articles once and announces them in one ArticlesDiscovered', async () => {
    // Prepare
    const system = new MemorySystem();
    const { articles, bus, runs, clock, queues } = system.adapters;
    const feed = await withFeed(system.adapters);

    // Act
    const result = await system.container.get(FetchFeed).execute(aFetchFeedMessage(feed.id, { runId: 'run_1' }));

    // Assess
    expect(result).toEqual({ kind: 'fetched', newArticles: 3 });
    expect(
      articles
        .all()
        .map((a) => a.id)
        .sort(),
    ).toEqual(sortedIds());
    expect(articles.all().every((a) => a.firstSeenRunId === 'run_1' && a.feedId === feed.id)).toBe(true);
    expect(bus.published).toEqual([
      articlesDiscovered('run_1', { ...feed, title: 'Example feed' }, sortedIds(), clock.now().toISOString()),
    ]);
    expect(queues.depth('start-fan-out')).toBe(1);
    expect(await runs.feedOutcomes('run_1')).toEqual([{ outcome: 'fetched', newArticles: 3 }]);
  });

  it('remembers the validators and title of the answer and schedules the feed', async () => {
    // Prepare
    const system = new MemorySystem();
    const feed = await withFeed(system.adapters);

    // Act
    await system.container.get(FetchFeed).execute(aFetchFeedMessage(feed.id));

    // Assess
    expect(await system.adapters.feeds.get(feed.id)).toMatchObject({
      etag: '"v1"',
      title: 'Example feed',
      errorCount: 0,
      lastFetchedAt: system.adapters.clock.now().toISOString(),
    });
  });

  it('finds nothing new when the document has not changed: a 304, and nothing announced', async () => {
    // Prepare
    const system = new MemorySystem();
    const { articles, bus, runs, clock } = system.adapters;
    const feed = await withFeed(system.adapters);
    const fetchFeed = system.container.get(FetchFeed);
    await fetchFeed.execute(aFetchFeedMessage(feed.id, { runId: 'run_1' }));
    clock.advance(3600);

    // Act
    const result = await fetchFeed.execute(aFetchFeedMessage(feed.id, { runId: 'run_2' }));

    // Assess
    expect(result).toEqual({ kind: 'notModified', newArticles: 0 });
    expect(articles.all()).toHaveLength(3);
    expect(bus.published).toHaveLength(1);
    expect(await runs.feedOutcomes('run_2')).toEqual([{ outcome: 'notModified', newArticles: 0 }]);
  });

  it('announces only the articles a changed document adds', async () => {
    // Prepare
    const system = new MemorySystem();
    const { bus, clock, fetcher } = system.adapters;
    const feed = await withFeed(system.adapters);
    const fetchFeed = system.container.get(FetchFeed);
    await fetchFeed.execute(aFetchFeedMessage(feed.id, { runId: 'run_1' }));
    clock.advance(3600);
    fetcher.addItems(URL_A, [anItem(4)]);

    // Act
    const result = await fetchFeed.execute(aFetchFeedMessage(feed.id, { runId: 'run_2' }));

    // Assess
    expect(result).toEqual({ kind: 'fetched', newArticles: 1 });
    expect(bus.published[1]).toMatchObject({
      runId: 'run_2',
      articleIds: identifyArticles([anItem(4)]).map((a) => a.id),
    });
    expect(system.adapters.articles.all()).toHaveLength(4);
  });

  it('changes nothing when the same fetch message is replayed', async () => {
    // Prepare
    const system = new MemorySystem();
    const { feeds, fetcher, bus, articles, runs } = system.adapters;
    const feed = await withFeed(system.adapters);
    const fetchFeed = system.container.get(FetchFeed);
    const message = aFetchFeedMessage(feed.id, { runId: 'run_1' });
    await fetchFeed.execute(message);
    const feedAfterFirst = await feeds.get(feed.id);

    // Act
    const replay = await fetchFeed.execute(message);

    // Assess
    expect(replay).toEqual({ kind: 'skipped', reason: 'done' });
    expect(fetcher.fetches.get(URL_A)).toBe(1);
    expect(bus.published).toHaveLength(1);
    expect(articles.all()).toHaveLength(3);
    expect(await feeds.get(feed.id)).toEqual(feedAfterFirst);
    expect(await runs.feedOutcomes('run_1')).toEqual([{ outcome: 'fetched', newArticles: 3 }]);
  });

  describe('a retry after an interruption', () => {
    it('announces the articles the interrupted attempt stored, when publishing failed', async () => {
      // Prepare
      const adapters = createMemoryAdapters();
      const container = containerWith(adapters, (c) =>
        c.rebind(TOKENS.EventPublisher).toConstantValue(new PublisherFailingOnce(adapters.bus)),
      );
      const feed = await withFeed(adapters);
      const fetchFeed = container.get(FetchFeed);
      const message = aFetchFeedMessage(feed.id, { runId: 'run_1' });
      const startedAt = adapters.clock.now().toISOString();
      await expect(fetchFeed.execute(message)).rejects.toThrow('connection reset');
      adapters.clock.advance(30);

      // Act
      const retry = await fetchFeed.execute(message);

      // Assess
      expect(retry).toEqual({ kind: 'fetched', newArticles: 3 });
      expect(adapters.bus.published).toEqual([
        articlesDiscovered('run_1', { ...feed, title: 'Example feed' }, sortedIds(), startedAt),
      ]);
      expect(adapters.articles.all()).toHaveLength(3);
      expect(await adapters.runs.feedOutcomes('run_1')).toEqual([{ outcome: 'fetched', newArticles: 3 }]);
    });

    it('announces the same articles under the same event id, when saving the feed failed', async () => {
      // Prepare
      const adapters = createMemoryAdapters();
      const container = containerWith(adapters, (c) =>
        c.rebind(TOKENS.FeedRepository).toConstantValue(new FeedSaveFailingOnce(adapters.feeds)),
      );
      const feed = await withFeed(adapters);
      const fetchFeed = container.get(FetchFeed);
      const message = aFetchFeedMessage(feed.id, { runId: 'run_1' });
      await expect(fetchFeed.execute(message)).rejects.toThrow('throughput exceeded');
      adapters.clock.advance(30);

      // Act
      const retry = await fetchFeed.execute(message);

      // Assess: the event went out twice, identical, and the feed is saved now.
      expect(retry).toEqual({ kind: 'fetched', newArticles: 3 });
      const [first, second] = adapters.bus.published;
      expect(adapters.bus.published).toHaveLength(2);
      expect(second).toEqual(first);
      expect(first!.articleIds).toEqual(sortedIds());
      expect(await adapters.feeds.get(feed.id)).toMatchObject({ etag: '"v1"', title: 'Example feed' });
      expect(await adapters.runs.feedOutcomes('run_1')).toEqual([{ outcome: 'fetched', newArticles: 3 }]);
    });

    it('lets each subscriber hear of the articles once although the event went out twice', async () => {
      // Prepare
      const adapters = createMemoryAdapters();
      const container = containerWith(adapters, (c) =>
        c.rebind(TOKENS.FeedRepository).toConstantValue(new FeedSaveFailingOnce(adapters.feeds)),
      );
      const feed = await withFeed(adapters);
      await adapters.subscriptions.add(aSubscription(URL_A, 1));
      const fetchFeed = container.get(FetchFeed);
      const message = aFetchFeedMessage(feed.id, { runId: 'run_1' });
      await expect(fetchFeed.execute(message)).rejects.toThrow();
      await fetchFeed.execute(message);

      // Act: the fan-out of both copies of the event, to the end.
      await adapters.queues.drain(queueHandlersOf(container));

      // Assess
      expect(adapters.sink.received).toHaveLength(1);
      expect(adapters.sink.received[0]!.articles.map((a) => a.id).sort()).toEqual(sortedIds());
    });
  });

  describe('when the fetch fails', () => {
    it('records the error on the feed and backs off', async () => {
      // Prepare
      const system = new MemorySystem();
      const { fetcher, feeds, clock, runs, bus } = system.adapters;
      const feed = await withFeed(system.adapters);
      fetcher.failWith(URL_A, { code: 'http_error', message: 'HTTP 500', status: 500 });

      // Act
      const result = await system.container.get(FetchFeed).execute(aFetchFeedMessage(feed.id, { runId: 'run_1' }));

      // Assess
      expect(result).toEqual({ kind: 'failed', newArticles: 0 });
      expect(await feeds.get(feed.id)).toMatchObject({
        status: 'active',
        errorCount: 1,
        lastError: { code: 'http_error', message: 'HTTP 500', at: clock.now().toISOString() },
        nextFetchAt: new Date(clock.now().getTime() + 60_000).toISOString(),
      });
      expect(await runs.feedOutcomes('run_1')).toEqual([{ outcome: 'failed', newArticles: 0 }]);
      expect(bus.published).toEqual([]);
    });

    it('waits as long as a Retry-After asks', async () => {
      // Prepare
      const system = new MemorySystem();
      const { fetcher, feeds, clock } = system.adapters;
      const feed = await withFeed(system.adapters);
      fetcher.failWith(URL_A, { code: 'rate_limited', message: 'HTTP 429', status: 429, retryAfterSeconds: 7200 });

      // Act
      await system.container.get(FetchFeed).execute(aFetchFeedMessage(feed.id));

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
    const result = await system.container.get(FetchFeed).execute(aFetchFeedMessage(feed.id, { runId: 'run_1' }));
    const next = await system.crawl({ force: true });

    // Assess
    expect(result).toEqual({ kind: 'gone', newArticles: 0 });
    expect((await feeds.get(feed.id))!.status).toBe('gone');
    expect(next).toMatchObject({ feeds: 0, fetched: 0, failed: 0 });
    expect(fetcher.fetches.get(URL_A)).toBe(1);
  });

  it('follows a permanent redirect: the feed keeps its id and is fetched at its new URL from then on', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    const moved = 'https://feeds.example.org/moved.xml';
    const web = new PermanentMove(adapters.fetcher, new Map([[URL_A, moved]]));
    const container = containerWith(adapters, (c) => c.rebind(TOKENS.FeedFetcher).toConstantValue(web));
    const feed = aFeed(URL_A).build();
    await adapters.feeds.addNew([feed]);
    adapters.fetcher.publish(moved, aDocument(ITEMS));
    const fetchFeed = container.get(FetchFeed);

    // Act
    const first = await fetchFeed.execute(aFetchFeedMessage(feed.id, { runId: 'run_1' }));
    web.moves.delete(URL_A); // the old address stops answering (404)
    adapters.clock.advance(60);
    const second = await fetchFeed.execute(aFetchFeedMessage(feed.id, { runId: 'run_2' }));

    // Assess
    expect(first).toEqual({ kind: 'fetched', newArticles: 3 });
    expect(second).toEqual({ kind: 'notModified', newArticles: 0 });
    expect(await adapters.feeds.get(feed.id)).toMatchObject({ id: feed.id, url: moved, errorCount: 0 });
  });

  it('skips a feed that is not due unless the run is forced', async () => {
    // Prepare
    const system = new MemorySystem();
    const { feeds, fetcher, runs } = system.adapters;
    const feed = aFeed(URL_A).dueAt(at(3600)).build();
    await feeds.addNew([feed]);
    fetcher.publish(URL_A, aDocument(ITEMS));
    const fetchFeed = system.container.get(FetchFeed);

    // Act
    const unforced = await fetchFeed.execute(aFetchFeedMessage(feed.id, { runId: 'run_1' }));
    const forced = await fetchFeed.execute(aFetchFeedMessage(feed.id, { runId: 'run_2', force: true }));

    // Assess
    expect(unforced).toEqual({ kind: 'skipped', reason: 'not-due' });
    expect(await runs.feedOutcomes('run_1')).toEqual([{ outcome: 'skipped', newArticles: 0 }]);
    expect(forced).toEqual({ kind: 'fetched', newArticles: 3 });
    expect(fetcher.fetches.get(URL_A)).toBe(1);
  });

  it('skips a feed removed since the scan dispatched it', async () => {
    // Prepare
    const system = new MemorySystem();
    const feed = await withFeed(system.adapters);
    await system.adapters.feeds.remove(feed.id);

    // Act
    const result = await system.container.get(FetchFeed).execute(aFetchFeedMessage(feed.id, { runId: 'run_1' }));

    // Assess
    expect(result).toEqual({ kind: 'skipped', reason: 'unknown-feed' });
    expect(system.adapters.fetcher.fetches.size).toBe(0);
    expect(await system.adapters.runs.feedOutcomes('run_1')).toEqual([{ outcome: 'skipped', newArticles: 0 }]);
  });
});

describe('AddFeeds', () => {
  it('makes a feed that had gone active again when it is added again', async () => {
    // Prepare
    const { MemorySystem } = await import('../../support/memory-system.js');
    const { AddFeeds } = await import('../../../src/application/use-cases/add-feeds.js');
    const system = new MemorySystem();
    const add = system.container.get(AddFeeds);
    const [feed] = (await add.execute([{ url: 'https://feeds.example.com/gone.xml' }])).added;
    await system.adapters.feeds.save({ ...feed!, status: 'gone' });

    // Act
    const again = await add.execute([{ url: 'https://feeds.example.com/gone.xml' }]);

    // Assess
    expect(again.added).toHaveLength(1);
    expect((await system.adapters.feeds.get(feed!.id))?.status).toBe('active');
  });
});
