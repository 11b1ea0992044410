import type { InMemoryFeedFetcher } from '../../../src/adapters/memory/in-memory-feed-fetcher.js';
import type { FeedFetcher, FetchRequest, FetchResult } from '../../../src/application/ports/feed-fetcher.port.js';
import type { RelaySettings } from '../../../src/application/settings.js';
import { TOKENS } from '../../../src/application/tokens.js';
import { FetchFeeds } from '../../../src/application/use-cases/fetch-feeds.js';
import { EMPTY_FETCH_TALLY } from '../../../src/domain/crawl-run.js';
import type { Feed } from '../../../src/domain/feed.js';
import { hostOf } from '../../../src/domain/host.js';
import { applicationModule } from '../../../src/entrypoints/container/application.module.js';
import { compose } from '../../../src/entrypoints/container/compose.js';
import { createMemoryAdapters, memoryModule, type MemoryAdapters } from '../../support/memory/memory-module.js';
import { aDocument, aFeed, aFetchFeedMessage, anItem } from '../../support/mothers.js';

const BUSY = ['https://busy.example.com/a.xml', 'https://busy.example.com/b.xml', 'https://busy.example.com/c.xml'];
const CALM = ['https://calm.example.org/a.xml', 'https://calm.example.org/b.xml'];

const tally = (counts: Partial<typeof EMPTY_FETCH_TALLY>) => ({ kind: 'fetched', ...EMPTY_FETCH_TALLY, ...counts });

/** Feeds at `urls`, each publishing one item, stored as the scan would find them. */
async function withFeeds(adapters: MemoryAdapters, urls: readonly string[]): Promise<Feed[]> {
  const feeds = urls.map((url) => aFeed(url).build());
  await adapters.feeds.addNew(feeds);
  for (const url of urls) adapters.fetcher.publish(url, aDocument([anItem(1)]));
  return feeds;
}

/** One fetch worker (a Lambda environment of its own) over the shared adapters. */
function aWorker(adapters: MemoryAdapters, settings: Partial<RelaySettings> = {}): FetchFeeds {
  return compose(applicationModule(settings), memoryModule(adapters)).get(FetchFeeds);
}

/** A fetch message of the stored feeds at `urls`, as the scan reads them now. */
async function workFor(adapters: MemoryAdapters, urls: readonly string[], batch = '0.0.0', runId = 'run_1') {
  const { items } = await adapters.feeds.readPage(undefined, 1000);
  const byUrl = new Map(items.map((feed) => [feed.url, feed]));
  return aFetchFeedMessage(
    urls.map((url) => byUrl.get(url)!),
    { runId, batch },
  );
}

const fetchesOf = (fetcher: InMemoryFeedFetcher, urls: readonly string[]): number[] =>
  urls.map((url) => fetcher.fetches.get(url) ?? 0);

/** A web whose answers wait until released, counting the fetches in flight per host. */
class HeldWeb implements FeedFetcher {
  readonly inFlight = new Map<string, number>();
  readonly mostInFlight = new Map<string, number>();
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly web: FeedFetcher) {}

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const host = hostOf(request.url);
    const now = (this.inFlight.get(host) ?? 0) + 1;
    this.inFlight.set(host, now);
    this.mostInFlight.set(host, Math.max(now, this.mostInFlight.get(host) ?? 0));
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight.set(host, this.inFlight.get(host)! - 1);
    return this.web.fetch(request);
  }

  /** Answers every fetch waiting now and those that come, until `done` settles. */
  async answerUntil<T>(done: Promise<T>): Promise<T> {
    let settled = false;
    void done.finally(() => (settled = true));
    while (!settled) {
      this.waiting.splice(0).forEach((answer) => answer());
      await new Promise((resolve) => setImmediate(resolve));
    }
    return done;
  }
}

describe('FetchFeeds, polite per host', () => {
  it('holds back every feed on a host that answered 429, for every worker, and not the feeds of other hosts', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    await withFeeds(adapters, [...BUSY, ...CALM]);
    adapters.fetcher.failWith(BUSY[0]!, { code: 'rate_limited', message: 'HTTP 429', status: 429 });

    // Act: one worker is told to slow down; another then has the host's other feeds to fetch.
    const told = await aWorker(adapters).execute(await workFor(adapters, [BUSY[0]!], '0.0.0'));
    adapters.clock.advance(5);
    const other = await aWorker(adapters).execute(await workFor(adapters, [BUSY[1]!, BUSY[2]!, ...CALM], '0.0.1'));

    // Assess
    expect(told).toEqual(tally({ feeds: 1, failed: 1 }));
    expect(other).toEqual(tally({ feeds: 4, skipped: 2, fetched: 2, newArticles: 2 }));
    expect(fetchesOf(adapters.fetcher, BUSY)).toEqual([1, 0, 0]);
    expect(fetchesOf(adapters.fetcher, CALM)).toEqual([1, 1]);
    expect(adapters.hosts.all()).toEqual([
      expect.objectContaining({ host: 'busy.example.com', reason: 'rate_limited: HTTP 429' }),
    ]);
  });

  it('leaves a held-back feed due and unchanged: it is not a failure', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    const [, held] = await withFeeds(adapters, BUSY);
    adapters.fetcher.failWith(BUSY[0]!, { code: 'rate_limited', message: 'HTTP 429', status: 429 });
    await aWorker(adapters).execute(await workFor(adapters, [BUSY[0]!], '0.0.0'));

    // Act
    await aWorker(adapters).execute(await workFor(adapters, [BUSY[1]!], '0.0.1'));

    // Assess
    expect(await adapters.feeds.get(held!.id)).toEqual(held);
  });

  it('holds the host as long as its Retry-After says, then fetches its feeds again', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    await withFeeds(adapters, BUSY);
    adapters.fetcher.failWith(BUSY[0]!, {
      code: 'rate_limited',
      message: 'HTTP 503',
      status: 503,
      retryAfterSeconds: 600,
    });
    await aWorker(adapters).execute(await workFor(adapters, [BUSY[0]!], '0.0.0'));

    // Act
    adapters.clock.advance(599);
    const during = await aWorker(adapters).execute(await workFor(adapters, [BUSY[1]!], '0.0.1', 'run_2'));
    adapters.clock.advance(1);
    const after = await aWorker(adapters).execute(await workFor(adapters, [BUSY[1]!], '0.0.1', 'run_3'));

    // Assess
    expect(during).toEqual(tally({ feeds: 1, skipped: 1 }));
    expect(after).toEqual(tally({ feeds: 1, fetched: 1, newArticles: 1 }));
  });

  it.each([
    ['a time-out', { code: 'timeout' as const, message: 'no answer within 10000 ms' }],
    ['a refused connection', { code: 'connect_error' as const, message: 'ECONNREFUSED' }],
    ['a 503 without Retry-After', { code: 'http_error' as const, message: 'HTTP 503', status: 503, hostWide: true }],
  ])('holds the host after %s', async (_what, failure) => {
    // Prepare
    const adapters = createMemoryAdapters();
    await withFeeds(adapters, BUSY);
    adapters.fetcher.failWith(BUSY[0]!, failure);
    await aWorker(adapters).execute(await workFor(adapters, [BUSY[0]!], '0.0.0'));

    // Act
    const next = await aWorker(adapters).execute(await workFor(adapters, [BUSY[1]!], '0.0.1'));

    // Assess
    expect(next).toEqual(tally({ feeds: 1, skipped: 1 }));
  });

  it('does not hold the host after a failure of one feed (a 404)', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    await withFeeds(adapters, BUSY);
    adapters.fetcher.failWith(BUSY[0]!, { code: 'http_error', message: 'HTTP 404', status: 404 });

    // Act
    const result = await aWorker(adapters).execute(await workFor(adapters, BUSY));

    // Assess
    expect(result).toEqual(tally({ feeds: 3, failed: 1, fetched: 2, newArticles: 2 }));
    expect(adapters.hosts.all()).toEqual([]);
  });

  it('does not fetch the rest of a message from a host that said 429 while the message was under way', async () => {
    // Prepare: one fetch at a time, the 429 first.
    const adapters = createMemoryAdapters();
    await withFeeds(adapters, [...BUSY, ...CALM]);
    adapters.fetcher.failWith(BUSY[0]!, { code: 'rate_limited', message: 'HTTP 429', status: 429 });

    // Act
    const result = await aWorker(adapters, { fetchConcurrency: 1 }).execute(
      await workFor(adapters, [...BUSY, ...CALM]),
    );

    // Assess
    expect(result).toEqual(tally({ feeds: 5, failed: 1, skipped: 2, fetched: 2, newArticles: 2 }));
    expect(fetchesOf(adapters.fetcher, BUSY)).toEqual([1, 0, 0]);
  });

  it('reads the hosts of a healthy message once, and writes nothing for politeness', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    await withFeeds(adapters, [...BUSY, ...CALM]);

    // Act
    await aWorker(adapters).execute(await workFor(adapters, [...BUSY, ...CALM]));

    // Assess
    expect(adapters.hosts.reads).toBe(1);
    expect(adapters.hosts.all()).toEqual([]);
  });

  it('records a hold once, however many feeds of the host say so', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    await withFeeds(adapters, BUSY);
    for (const url of BUSY) adapters.fetcher.failWith(url, { code: 'timeout', message: 'slow' });
    const holds: string[] = [];
    const hosts = adapters.hosts;
    const recording = {
      holdsOn: hosts.holdsOn.bind(hosts),
      takeTurn: hosts.takeTurn.bind(hosts),
      hold: (h: Parameters<typeof hosts.hold>[0]) => (holds.push(h.host), hosts.hold(h)),
    };
    const worker = compose(applicationModule(), memoryModule(adapters));
    worker.rebind(TOKENS.HostPoliteness).toConstantValue(recording);

    // Act: the three fetches are under way at once when the time-outs come.
    const result = await worker.get(FetchFeeds).execute(await workFor(adapters, BUSY));

    // Assess
    expect(result).toEqual(tally({ feeds: 3, failed: 3 }));
    expect(holds).toEqual(['busy.example.com']);
  });

  describe('a host with a limit of its own', () => {
    it('never has more fetches at once than its limit, while other hosts have no limit', async () => {
      // Prepare
      const adapters = createMemoryAdapters();
      const many = (host: string) => Array.from({ length: 6 }, (_, i) => `https://${host}/${i}.xml`);
      await withFeeds(adapters, [...many('busy.example.com'), ...many('calm.example.org')]);
      const web = new HeldWeb(adapters.fetcher);
      const worker = compose(
        applicationModule({ hostLimits: [{ host: 'busy.example.com', concurrency: 2 }] }),
        memoryModule(adapters),
      );
      worker.rebind(TOKENS.FeedFetcher).toConstantValue(web);

      // Act
      const result = await web.answerUntil(
        worker
          .get(FetchFeeds)
          .execute(await workFor(adapters, [...many('busy.example.com'), ...many('calm.example.org')])),
      );

      // Assess
      expect(result).toEqual(tally({ feeds: 12, fetched: 12, newArticles: 12 }));
      expect(web.mostInFlight.get('busy.example.com')).toBe(2);
      expect(web.mostInFlight.get('calm.example.org')).toBe(6);
    });

    it('leaves a feed for a later run when its turn under the host rate is too far away', async () => {
      // Prepare: one fetch a minute; the clock stands still, so the second turn is a minute away.
      const adapters = createMemoryAdapters();
      await withFeeds(adapters, BUSY);
      const worker = aWorker(adapters, { hostLimits: [{ host: 'busy.example.com', concurrency: 1, perSeconds: 60 }] });

      // Act
      const result = await worker.execute(await workFor(adapters, BUSY));

      // Assess
      expect(result).toEqual(tally({ feeds: 3, fetched: 1, skipped: 2, newArticles: 1 }));
      expect(fetchesOf(adapters.fetcher, BUSY).reduce((a, b) => a + b)).toBe(1);
    });
  });
});

/** The web with permanent moves (301/308: `permanentRedirect`), each answering with the document at its target. */
class MovedWeb implements FeedFetcher {
  constructor(
    private readonly web: FeedFetcher,
    readonly moves: Map<string, string>,
  ) {}

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const to = this.moves.get(request.url);
    if (to === undefined) return this.web.fetch(request);
    const result = await this.web.fetch({ ...request, url: to });
    return result.kind === 'failed' ? result : { ...result, url: to, permanentRedirect: to };
  }
}

/** A web whose every answer says it stays fresh for `seconds` (Cache-Control: max-age). */
class FreshFor implements FeedFetcher {
  constructor(
    private readonly web: FeedFetcher,
    private readonly seconds: number,
  ) {}

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const result = await this.web.fetch(request);
    return result.kind === 'failed' ? result : { ...result, freshForSeconds: this.seconds };
  }
}

describe('FetchFeeds, self-healing', () => {
  const OLD = 'https://old.example.com/feed.xml';
  const NEW = 'https://new.example.com/feed.xml';

  it('keeps a feed where it is, and records why, when the URL it moved to is another feed', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    const [moving, already] = await withFeeds(adapters, [OLD, NEW]);
    const worker = compose(applicationModule(), memoryModule(adapters));
    worker.rebind(TOKENS.FeedFetcher).toConstantValue(new MovedWeb(adapters.fetcher, new Map([[OLD, NEW]])));
    const fetchFeeds = worker.get(FetchFeeds);

    // Act: seen once, then confirmed.
    await fetchFeeds.execute(await workFor(adapters, [OLD], '0.0.0', 'run_1'));
    await fetchFeeds.execute(await workFor(adapters, [OLD], '0.0.0', 'run_2'));

    // Assess
    const kept = await adapters.feeds.get(moving!.id);
    expect(kept).toMatchObject({ url: OLD, redirect: { to: NEW } });
    expect(kept?.redirect?.refused).toContain(`another feed (${already!.id}) already has the URL ${NEW}`);
    expect((await adapters.feeds.get(already!.id))?.url).toBe(NEW);
  });

  it('keeps the subscribers of a feed that moves: its id stays, and its discoveries name the new URL', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    const [feed] = await withFeeds(adapters, [OLD]);
    await adapters.feeds.addSubscribers(feed!.id, 1, 100_000);
    adapters.fetcher.publish(NEW, aDocument([anItem(1)]));
    const worker = compose(applicationModule(), memoryModule(adapters));
    worker.rebind(TOKENS.FeedFetcher).toConstantValue(new MovedWeb(adapters.fetcher, new Map([[OLD, NEW]])));
    const fetchFeeds = worker.get(FetchFeeds);
    await fetchFeeds.execute(await workFor(adapters, [OLD], '0.0.0', 'run_1'));
    await fetchFeeds.execute(await workFor(adapters, [OLD], '0.0.0', 'run_2'));

    // Act
    adapters.fetcher.addItems(NEW, [anItem(2)]);
    await fetchFeeds.execute(await workFor(adapters, [NEW], '0.0.0', 'run_3'));

    // Assess
    expect(await adapters.feeds.get(feed!.id)).toMatchObject({ id: feed!.id, url: NEW, subscribers: 1 });
    expect(adapters.bus.published.at(-1)).toMatchObject({ feedId: feed!.id, feedUrl: NEW, runId: 'run_3' });
  });

  it('schedules the next fetch by Cache-Control max-age, within the maximum interval', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    const [hour, year] = await withFeeds(adapters, [OLD, NEW]);
    const worker = (seconds: number) => {
      const container = compose(applicationModule({ maxFeedIntervalSeconds: 86_400 }), memoryModule(adapters));
      container.rebind(TOKENS.FeedFetcher).toConstantValue(new FreshFor(adapters.fetcher, seconds));
      return container.get(FetchFeeds);
    };

    // Act
    await worker(3600).execute(await workFor(adapters, [OLD], '0.0.0'));
    await worker(365 * 86_400).execute(await workFor(adapters, [NEW], '0.0.1'));

    // Assess
    const now = adapters.clock.now().getTime();
    expect((await adapters.feeds.get(hour!.id))?.nextFetchAt).toBe(new Date(now + 3_600_000).toISOString());
    expect((await adapters.feeds.get(year!.id))?.nextFetchAt).toBe(new Date(now + 86_400_000).toISOString());
  });

  it('schedules the next fetch by the RSS ttl, and keeps doing so on the 304s that follow', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    const [feed] = await withFeeds(adapters, [OLD]);
    adapters.fetcher.publish(OLD, { ...aDocument([anItem(1)]), schedule: { ttlMinutes: 120 } });
    const worker = aWorker(adapters);

    // Act
    await worker.execute(await workFor(adapters, [OLD], '0.0.0', 'run_1'));
    adapters.clock.advance(7200);
    await worker.execute(await workFor(adapters, [OLD], '0.0.0', 'run_2'));

    // Assess
    const stored = await adapters.feeds.get(feed!.id);
    expect(stored?.publisherSchedule).toEqual({ ttlMinutes: 120 });
    expect(stored?.nextFetchAt).toBe(new Date(adapters.clock.now().getTime() + 7_200_000).toISOString());
  });

  it('keeps retrying a feed that fails for a long time, saying since when and why', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    const [feed] = await withFeeds(adapters, [OLD]);
    adapters.fetcher.failWith(OLD, { code: 'http_error', message: 'HTTP 500', status: 500 });
    const worker = aWorker(adapters, { maxFeedBackoffSeconds: 3600 });
    const firstFailure = adapters.clock.now().toISOString();

    // Act: twenty runs, each once the feed is due again.
    for (let run = 1; run <= 20; run++) {
      await worker.execute(await workFor(adapters, [OLD], '0.0.0', `run_${run}`));
      const { nextFetchAt } = (await adapters.feeds.get(feed!.id))!;
      adapters.clock.set(new Date(nextFetchAt));
    }

    // Assess
    const stored = await adapters.feeds.get(feed!.id);
    expect(stored).toMatchObject({
      status: 'active',
      errorCount: 20,
      failingSince: firstFailure,
      lastError: { code: 'http_error', message: 'HTTP 500' },
    });
    expect(adapters.fetcher.fetches.get(OLD)).toBe(20);
  });
});
