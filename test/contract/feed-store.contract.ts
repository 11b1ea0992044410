import fc from 'fast-check';
import type { FeedPageReader, FeedRepository } from '../../src/application/ports/feed-store.port.js';
import { aFeedRecord } from '../support/mothers.js';
import { readAllPages } from './paging.js';

export type FeedStore = FeedRepository & FeedPageReader;

export interface ContractOptions {
  /** Runs of each property (a fresh store each run). */
  readonly numRuns?: number;
}

/** What every feed table must do, whatever holds it. `makeStore` gives a fresh, empty store. */
export function describeFeedStoreContract(
  name: string,
  makeStore: () => Promise<FeedStore>,
  options: ContractOptions = {},
): void {
  describe(`${name} as FeedRepository and FeedPageReader`, () => {
    it('returns an added feed by id, and nothing for an unknown id', async () => {
      const store = await makeStore();
      const feed = aFeedRecord({
        title: 'A',
        etag: '"v1"',
        lastError: { code: 'timeout', message: 'slow', at: '2026-01-01T00:00:00.000Z' },
      });

      await store.addNew([feed]);

      expect(await store.get(feed.id)).toEqual(feed);
      expect(await store.get('no-such-feed')).toBeUndefined();
    });

    it('adds only the feeds that are not there yet and returns those it added', async () => {
      const store = await makeStore();
      const first = aFeedRecord({ title: 'first' });
      const second = aFeedRecord();

      const added = await store.addNew([first]);
      const addedAgain = await store.addNew([{ ...first, title: 'changed' }, second]);
      const addedOnceMore = await store.addNew([first, second]);

      expect(added).toEqual([first]);
      expect(addedAgain).toEqual([second]);
      expect(addedOnceMore).toEqual([]);
      expect(await store.get(first.id)).toEqual(first);
    });

    it("reads the K and layout of every feed asked for that is there, past one batch's hundred keys", async () => {
      const store = await makeStore();
      const feeds = Array.from({ length: 130 }, () => aFeedRecord());
      const packed = aFeedRecord({ packLevel: 3, subscribers: 900 });
      await store.addNew([...feeds, packed]);
      const grown = feeds[117]!;
      const { subscriberShards } = await store.addSubscribers(grown.id, 5, 2);

      const layouts = await store.layoutsOf([...feeds.map((f) => f.id), packed.id, 'no-such-feed', feeds[0]!.id]);

      expect(subscriberShards).toBeGreaterThan(1);
      expect(layouts.size).toBe(131);
      expect(layouts.get(grown.id)).toEqual({ subscriberShards });
      expect(layouts.get(feeds[0]!.id)).toEqual({ subscriberShards: 1 });
      expect(layouts.get(packed.id)).toEqual({ subscriberShards: 1, subscriptions: { packLevel: 3, unpacked: false } });
      expect(layouts.has('no-such-feed')).toBe(false);
      expect(await store.layoutsOf([])).toEqual(new Map());
    });

    it('notes a packed feed unpacked once more subscriptions are counted on it, keeping its packs’ level', async () => {
      const store = await makeStore();
      const packed = aFeedRecord({ packLevel: 0, subscribers: 40 });
      await store.addNew([packed]);

      await store.addSubscribers(packed.id, 1, 100_000);

      expect((await store.layoutsOf([packed.id])).get(packed.id)).toEqual({
        subscriberShards: 1,
        subscriptions: { packLevel: 0, unpacked: true },
      });
      expect(await store.get(packed.id)).toMatchObject({ packLevel: 0, unpacked: true, subscribers: 41 });
    });

    it('adds the first of two feeds that share an id in one call', async () => {
      const store = await makeStore();
      const feed = aFeedRecord({ title: 'first' });

      const added = await store.addNew([feed, { ...feed, title: 'second' }]);

      expect(added).toEqual([feed]);
      expect(await store.get(feed.id)).toEqual(feed);
    });

    it('commits a change at the expected version, moving to the next, and drops what the change leaves out', async () => {
      const store = await makeStore();
      const feed = aFeedRecord({
        etag: '"v1"',
        lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT',
        lastError: { code: 'timeout', message: 'slow', at: '2026-01-01T00:00:00.000Z' },
      });
      await store.addNew([feed]);
      const update = {
        url: feed.url,
        etag: '"v2"',
        seen: 'aaaaaaaaaaaabbbbbbbbbbbb',
        nextFetchAt: '2026-01-02T00:00:00.000Z',
        status: 'active' as const,
        errorCount: 0,
        lastFetchedAt: '2026-01-01T01:00:00.000Z',
        lastCommit: {
          runId: 'run-1',
          fromVersion: 0,
          outcome: 'fetched' as const,
          newArticles: 2,
          announced: ['a', 'b'],
        },
      };

      expect(await store.commit(feed.id, 0, update)).toEqual({ subscribers: 0, subscriberShards: 1 });

      const { lastModified: _dropped, lastError: _cleared, ...kept } = feed;
      expect(await store.get(feed.id)).toEqual({ ...kept, ...update, version: 1 });
    });

    it('keeps what a failing, moving feed remembers, and drops it once a commit leaves it out', async () => {
      const store = await makeStore();
      const feed = aFeedRecord();
      await store.addNew([feed]);
      const failing = {
        url: feed.url,
        nextFetchAt: '2026-01-01T00:05:00.000Z',
        status: 'active' as const,
        errorCount: 1,
        lastError: { code: 'rate_limited', message: 'slow down', at: '2026-01-01T00:00:00.000Z' },
        failingSince: '2026-01-01T00:00:00.000Z',
        redirect: { to: 'https://moved.example.com/feed.xml', since: '2026-01-01T00:00:00.000Z', refused: 'taken' },
        publisherSchedule: { ttlMinutes: 60, skipHours: [0, 1], skipDays: [6] },
      };

      await store.commit(feed.id, 0, failing);
      const remembered = await store.get(feed.id);
      await store.commit(feed.id, 1, { url: feed.url, nextFetchAt: feed.nextFetchAt, status: 'active', errorCount: 0 });
      const healed = await store.get(feed.id);

      expect(remembered).toEqual({ ...feed, ...failing, version: 1 });
      expect(healed).toEqual({ ...feed, version: 2 });
    });

    it('answers a commit with the subscriber count and shards the feed has at that instant', async () => {
      const store = await makeStore();
      const feed = aFeedRecord();
      await store.addNew([feed]);
      await store.addSubscribers(feed.id, 5, 2);

      const committed = await store.commit(feed.id, 0, {
        url: feed.url,
        nextFetchAt: feed.nextFetchAt,
        status: 'active',
        errorCount: 0,
      });

      expect(committed).toEqual({ subscribers: 5, subscriberShards: 4 });
    });

    it('refuses a commit at another version, or of a feed that is gone, and writes nothing', async () => {
      const store = await makeStore();
      const feed = aFeedRecord();
      await store.addNew([feed]);
      const update = { url: feed.url, nextFetchAt: feed.nextFetchAt, status: 'active' as const, errorCount: 7 };
      await store.commit(feed.id, 0, { ...update, errorCount: 1 });

      const stale = await store.commit(feed.id, 0, update);
      const removedMeanwhile = await store.commit('no-such-feed', 0, update);

      expect([stale, removedMeanwhile]).toEqual(['conflict', 'conflict']);
      expect(await store.get(feed.id)).toMatchObject({ errorCount: 1, version: 1 });
      expect(await store.get('no-such-feed')).toBeUndefined();
    });

    it('reads each feed in exactly one segment of a parallel scan', async () => {
      const store = await makeStore();
      const feeds = Array.from({ length: 40 }, () => aFeedRecord());
      await store.addNew(feeds);

      const segments = 4;
      const seen: string[] = [];
      for (let segment = 0; segment < segments; segment++) {
        const { items } = await readAllPages(
          (after, limit) => store.readPage(after, limit, { segment, segments }),
          [7],
          feeds.length,
        );
        seen.push(...items.map((feed) => feed.id));
      }

      expect(seen.sort()).toEqual(feeds.map((feed) => feed.id).sort());
    });

    it('removes a feed, telling whether it was there', async () => {
      const store = await makeStore();
      const kept = aFeedRecord();
      const removed = aFeedRecord();
      await store.addNew([kept, removed]);

      expect(await store.remove(removed.id)).toBe(true);
      expect(await store.remove(removed.id)).toBe(false);
      expect(await store.get(removed.id)).toBeUndefined();
      const { items } = await readAllPages((after, limit) => store.readPage(after, limit), [10], 1);
      expect(items).toEqual([kept]);
    });

    it('answers an empty table with a last page', async () => {
      const store = await makeStore();

      const page = await store.readPage(undefined, 10);

      expect(page.items).toEqual([]);
      expect(page.next).toBeUndefined();
    });

    it('pages through every feed exactly once, whatever the page sizes, ending with a page without next', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,12}$/), { maxLength: 40 }),
          fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
          async (ids, limits) => {
            const store = await makeStore();
            await store.addNew(ids.map((id) => aFeedRecord({ id })));

            const { items } = await readAllPages((after, limit) => store.readPage(after, limit), limits, ids.length);

            expect(items.map((feed) => feed.id).sort()).toEqual([...ids].sort());
          },
        ),
        { numRuns: options.numRuns ?? 50 },
      );
    });

    it('refuses a page position it did not give out', async () => {
      const store = await makeStore();
      await store.addNew([aFeedRecord()]);

      await expect(store.readPage({ somethingElse: 'x' }, 10)).rejects.toThrow();
    });
  });
}
