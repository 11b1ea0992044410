import fc from 'fast-check';
import { pino } from 'pino';
import { RelayBoundExceededError } from '../../../src/application/errors.js';
import { PageRelay, type RelayLeg } from '../../../src/application/page-relay.js';
import { ScanFeedsPage } from '../../../src/application/use-cases/scan-feeds-page.js';
import { feedsScope } from '../../../src/application/work-plans.js';
import { parseWorkMessage, type ScanFeedsPageMessage } from '../../../src/application/work-messages.js';
import type { PagePosition } from '../../../src/domain/cursor.js';
import { decodeCursor, encodeCursor } from '../../../src/domain/cursor.js';
import { InvalidCursorError } from '../../../src/domain/errors.js';
import { newFeed } from '../../../src/domain/feed.js';
import { sqsBatchHandler } from '../../../src/entrypoints/lambda/sqs-batch.js';
import { fullPages, type PageBudget } from '../../../src/adapters/memory/paginate.js';
import { MemorySystem } from '../../support/memory-system.js';
import { aDocument, aFeed, anItem, aScanFeedsMessage, at, feedUrl, seededRandom } from '../../support/mothers.js';
import { takeHeld } from './held-messages.js';

const RUN = 'run_scan';

/** A system whose feed table holds `count` feeds, each publishing one item; the feed ids in scan order. */
async function systemWithFeeds(
  count: number,
  options: { pageSize?: number; maxRelayPages?: number; pageBudget?: PageBudget; segments?: number } = {},
): Promise<{ system: MemorySystem; scan: ScanFeedsPage; ids: string[] }> {
  const system = new MemorySystem({
    settings: {
      feedPageSize: options.pageSize ?? 2,
      feedsPerMessage: 3,
      scanSegments: options.segments ?? 1,
      ...(options.maxRelayPages ? { maxRelayPages: options.maxRelayPages } : {}),
    },
    pageBudget: options.pageBudget ?? fullPages,
  });
  const { feeds, fetcher, clock } = system.adapters;
  const added = await feeds.addNew(Array.from({ length: count }, (_, i) => newFeed(feedUrl(i), clock.now())));
  for (let i = 0; i < count; i++) fetcher.publish(feedUrl(i), aDocument([anItem(i)]));
  return { system, scan: system.container.get(ScanFeedsPage), ids: added.map((f) => f.id).sort() };
}

/** The ids of the feeds the fetch messages carry, in order. */
const feedIdsOf = (messages: Record<string, unknown>[]): unknown[] =>
  messages.flatMap((m) => (m.feeds as { id: string }[]).map((feed) => feed.id));

/** A held scan message, read as its queue's handler would read it. */
const asScanMessage = (held: Record<string, unknown> | undefined): ScanFeedsPageMessage | undefined =>
  held === undefined ? undefined : (parseWorkMessage(JSON.stringify(held), 'scan-feeds') as ScanFeedsPageMessage);

describe('ScanFeedsPage', () => {
  it('dispatches the page’s feeds and relays the cursor when a next page exists', async () => {
    // Prepare
    const { system, scan, ids } = await systemWithFeeds(5, { pageSize: 2 });

    // Act
    const result = await scan.execute(aScanFeedsMessage({ runId: RUN, page: 0 }));

    // Assess
    const held = await takeHeld(system.adapters.queues);
    expect(result).toEqual({ kind: 'scanned', items: 2, dispatched: 2, last: false });
    expect(held['fetch-feed']).toEqual([
      {
        v: 2,
        type: 'fetch-feed',
        runId: RUN,
        force: false,
        batch: '0.0.0',
        feeds: [
          expect.objectContaining({ id: ids[0], version: 0, errorCount: 0 }),
          expect.objectContaining({ id: ids[1], version: 0, errorCount: 0 }),
        ],
      },
    ]);
    expect(held['scan-feeds']).toEqual([
      {
        v: 2,
        type: 'scan-feeds',
        runId: RUN,
        force: false,
        segment: 0,
        segments: 1,
        page: 1,
        cursor: expect.stringMatching(/^c1\./),
      },
    ]);
    expect(decodeCursor(held['scan-feeds'][0]!.cursor as string, feedsScope(0, 1)).position).toEqual({ id: ids[1] });
  });

  it('continues after the cursor, and ends without a relay when no page follows', async () => {
    // Prepare
    const { system, scan, ids } = await systemWithFeeds(5, { pageSize: 2 });
    const fetches: unknown[] = [];
    let message: ScanFeedsPageMessage | undefined = aScanFeedsMessage({ runId: RUN });
    const results = [];

    // Act: hand each relayed cursor on, as the queue would.
    while (message) {
      results.push(await scan.execute(message));
      const held = await takeHeld(system.adapters.queues);
      fetches.push(...feedIdsOf(held['fetch-feed']));
      expect(held['scan-feeds'].length).toBeLessThanOrEqual(1);
      message = asScanMessage(held['scan-feeds'][0]);
    }

    // Assess
    expect(fetches).toEqual(ids);
    expect(results.map((r) => (r.kind === 'scanned' ? [r.items, r.last] : r.kind))).toEqual([
      [2, false],
      [2, false],
      [1, true],
    ]);
  });

  it('ends the relay on a full last page once the next read comes back empty', async () => {
    // Prepare: DynamoDB hands out a key after a page that stops at the limit, even when nothing follows.
    const { system, scan } = await systemWithFeeds(2, { pageSize: 2 });
    await scan.execute(aScanFeedsMessage({ runId: RUN }));
    const continuation = asScanMessage((await takeHeld(system.adapters.queues))['scan-feeds'][0])!;

    // Act
    const result = await scan.execute(continuation);

    // Assess
    expect(result).toEqual({ kind: 'scanned', items: 0, dispatched: 0, last: true });
    const held = await takeHeld(system.adapters.queues);
    expect(held['scan-feeds']).toEqual([]);
    expect(held['fetch-feed']).toEqual([]);
  });

  it('scans nothing twice when a cursor message arrives twice', async () => {
    // Prepare
    const { system, scan, ids } = await systemWithFeeds(6, { pageSize: 2 });
    await scan.execute(aScanFeedsMessage({ runId: RUN }));
    const first = await takeHeld(system.adapters.queues);
    const continuation = asScanMessage(first['scan-feeds'][0])!;

    // Act
    const once = await scan.execute(continuation);
    const again = await scan.execute(continuation);

    // Assess: the fetch queue holds each feed of the page once, the scan queue one continuation.
    const held = await takeHeld(system.adapters.queues);
    expect(once.kind).toBe('scanned');
    expect(again).toEqual({ kind: 'skipped', reason: 'done' });
    expect(feedIdsOf(held['fetch-feed'])).toEqual([ids[2], ids[3]]);
    expect(held['scan-feeds']).toHaveLength(1);
    expect(held['scan-feeds'][0]).toMatchObject({ page: 2 });
  });

  it('scans nothing twice when the first step of a run arrives twice', async () => {
    // Prepare
    const { system, scan, ids } = await systemWithFeeds(3, { pageSize: 2 });

    // Act
    await scan.execute(aScanFeedsMessage({ runId: RUN }));
    await scan.execute(aScanFeedsMessage({ runId: RUN }));

    // Assess
    const held = await takeHeld(system.adapters.queues);
    expect(feedIdsOf(held['fetch-feed'])).toEqual([ids[0], ids[1]]);
    expect(held['scan-feeds']).toHaveLength(1);
  });

  it('skips a copy that arrives while another invocation holds the step', async () => {
    // Prepare
    const { system, scan, ids } = await systemWithFeeds(3, { pageSize: 2 });
    const message = aScanFeedsMessage({ runId: RUN });

    // Act: both copies run at once.
    const results = await Promise.all([scan.execute(message), scan.execute(message)]);

    // Assess
    expect(results.map((r) => r.kind).sort()).toEqual(['scanned', 'skipped']);
    expect(results).toContainEqual({ kind: 'skipped', reason: 'busy' });
    const held = await takeHeld(system.adapters.queues);
    expect(feedIdsOf(held['fetch-feed'])).toEqual([ids[0], ids[1]]);
    expect(held['scan-feeds']).toHaveLength(1);
  });

  it.each([
    ['a cursor of another scan', encodeCursor({ scope: 'subscribers:f1', position: { id: 'zzz' } })],
    ['a garbled cursor', 'c1.%%%'],
    ['a token that is no cursor', 'page-2'],
  ])('refuses %s before it claims the step', async (_what, cursor) => {
    // Prepare
    const { system, scan, ids } = await systemWithFeeds(4, { pageSize: 2 });
    const page1 = encodeCursor({ scope: feedsScope(0, 1), position: { id: ids[1]! } });

    // Act
    const refused = scan.execute(aScanFeedsMessage({ runId: RUN, page: 1, cursor }));

    // Assess: nothing dispatched, and the page is free for its rightful message.
    await expect(refused).rejects.toThrow(InvalidCursorError);
    expect((await takeHeld(system.adapters.queues))['fetch-feed']).toEqual([]);
    await expect(scan.execute(aScanFeedsMessage({ runId: RUN, page: 1, cursor: page1 }))).resolves.toMatchObject({
      kind: 'scanned',
      items: 2,
    });
  });

  it('stops a runaway chain at its bound with a RelayBoundExceededError, dispatching nothing', async () => {
    // Prepare
    const { system, scan, ids } = await systemWithFeeds(10, { pageSize: 2, maxRelayPages: 3 });
    const cursor = encodeCursor({ scope: feedsScope(0, 1), position: { id: ids[5]! } });

    // Act
    const beyond = scan.execute(aScanFeedsMessage({ runId: RUN, page: 3, cursor }));

    // Assess
    await expect(beyond).rejects.toThrow(RelayBoundExceededError);
    await expect(beyond).rejects.toThrow(`relay relay#${RUN}.0# (feeds:0/1) reached its bound of 3 pages`);
    const held = await takeHeld(system.adapters.queues);
    expect(held['fetch-feed']).toEqual([]);
    expect(held['scan-feeds']).toEqual([]);
  });

  it('lets a crawl that reaches the bound fetch the pages before it and leaves the chain incomplete', async () => {
    // Prepare
    const { system } = await systemWithFeeds(10, { pageSize: 2, maxRelayPages: 3 });

    // Act
    const summary = await system.crawl();

    // Assess
    expect(system.adapters.fetcher.fetches.size).toBe(6);
    expect(summary).toMatchObject({ feeds: 6, fetched: 6, scanComplete: false, complete: false });
    expect(system.adapters.queues.deadLetters.map((d) => JSON.parse(d.body) as unknown)).toEqual([
      expect.objectContaining({ type: 'scan-feeds', page: 3 }),
    ]);
  });

  it('skips feeds that are not due yet', async () => {
    // Prepare
    const system = new MemorySystem();
    const due = aFeed(feedUrl(1)).build();
    const later = aFeed(feedUrl(2)).dueAt(at(3600)).build();
    await system.adapters.feeds.addNew([due, later]);

    // Act
    const result = await system.container.get(ScanFeedsPage).execute(aScanFeedsMessage({ runId: RUN }));

    // Assess
    expect(result).toMatchObject({ items: 2, dispatched: 1 });
    expect(feedIdsOf((await takeHeld(system.adapters.queues))['fetch-feed'])).toEqual([due.id]);
  });

  it('dispatches feeds that are not due when the run is forced', async () => {
    // Prepare
    const system = new MemorySystem();
    const later = aFeed(feedUrl(2)).dueAt(at(3600)).build();
    await system.adapters.feeds.addNew([later]);

    // Act
    await system.container.get(ScanFeedsPage).execute(aScanFeedsMessage({ runId: RUN, force: true }));

    // Assess
    const held = (await takeHeld(system.adapters.queues))['fetch-feed'];
    expect(held).toMatchObject([{ runId: RUN, force: true }]);
    expect(feedIdsOf(held)).toEqual([later.id]);
  });

  it('never dispatches a gone feed, not even when forced', async () => {
    // Prepare
    const system = new MemorySystem();
    const gone = aFeed(feedUrl(1)).gone().build();
    const active = aFeed(feedUrl(2)).build();
    await system.adapters.feeds.addNew([gone, active]);

    // Act
    const result = await system.container.get(ScanFeedsPage).execute(aScanFeedsMessage({ runId: RUN, force: true }));

    // Assess
    expect(result).toMatchObject({ items: 2, dispatched: 1 });
    expect(feedIdsOf((await takeHeld(system.adapters.queues))['fetch-feed'])).toEqual([active.id]);
  });

  describe('the relay never forks', () => {
    it('fetches every feed exactly once and completes every page once, whatever the paging, segments, duplicates and crashes', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            feeds: fc.integer({ min: 0, max: 30 }),
            pageSize: fc.integer({ min: 1, max: 7 }),
            shortPages: fc.boolean(),
            duplicateRate: fc.double({ min: 0, max: 1, noNaN: true }),
            crashRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
            batchSize: fc.integer({ min: 1, max: 10 }),
            segments: fc.integer({ min: 1, max: 4 }),
            seed: fc.integer({ min: 1, max: 2 ** 31 - 2 }),
          }),
          async ({ feeds, pageSize, shortPages, duplicateRate, crashRate, batchSize, segments, seed }) => {
            // Prepare: pages may come back short or empty, as DynamoDB's 1 MB cap makes them.
            const budgetRandom = seededRandom(seed + 1);
            const pageBudget: PageBudget = shortPages ? (limit) => Math.floor(budgetRandom() * (limit + 1)) : fullPages;
            const { system, ids } = await systemWithFeeds(feeds, { pageSize, pageBudget, segments });
            const scan = system.container.get(ScanFeedsPage);
            const completedPerPage = new Map<string, number>();
            const countingScan = sqsBatchHandler('scan-feeds', pino({ level: 'silent' }), async (body) => {
              const message = parseWorkMessage(body, 'scan-feeds') as ScanFeedsPageMessage;
              const result = await scan.execute(message);
              if (result.kind === 'scanned') {
                const key = `${message.segment}.${message.page}`;
                completedPerPage.set(key, (completedPerPage.get(key) ?? 0) + 1);
              }
              return result;
            });
            const { runId } = await system.handlers.startCrawl();

            // Act
            await system.adapters.queues.drain(
              { ...system.queueHandlers, 'scan-feeds': (records) => countingScan({ Records: records }) },
              { random: seededRandom(seed), duplicateRate, crashRate, batchSize, maxReceiveCount: 10_000 },
            );

            // Assess
            const { fetcher, queues } = system.adapters;
            expect([...fetcher.fetches.keys()].length).toBe(feeds);
            expect([...fetcher.fetches.values()].every((n) => n === 1)).toBe(true);
            for (let segment = 0; segment < segments; segment++) {
              const pages = [...completedPerPage.keys()]
                .filter((key) => key.startsWith(`${segment}.`))
                .map((key) => Number(key.split('.')[1]))
                .sort((a, b) => a - b);
              expect(pages).toEqual(pages.map((_, i) => i));
            }
            expect([...completedPerPage.values()].every((n) => n === 1)).toBe(true);
            expect(queues.deadLetters).toEqual([]);
            const summary = await system.summary(runId);
            expect(summary).toMatchObject({ feeds, fetched: feeds, newArticles: feeds, complete: true });
            expect(ids).toHaveLength(feeds);
          },
        ),
        { numRuns: 60 },
      );
    });
  });
});

describe('PageRelay', () => {
  /** A leg over a plain sorted list, sending its work and relays into arrays the test reads. */
  function listLeg(items: string[], pageSize: number) {
    const dispatched: string[] = [];
    const relayed: { page: number; cursor: string }[] = [];
    const leg: RelayLeg<string> = {
      pageSize,
      async read(after: PagePosition | undefined, limit: number) {
        const start = after === undefined ? 0 : items.indexOf(String(after.key)) + 1;
        const page = items.slice(start, start + limit);
        const more = start + limit < items.length;
        return more ? { items: page, next: { key: page[page.length - 1]! } } : { items: page };
      },
      async dispatchPage(page) {
        dispatched.push(...page);
        return { dispatched: page.length };
      },
      async relay(next) {
        relayed.push(next);
      },
    };
    return { leg, dispatched, relayed };
  }

  it('reports a chain complete once its last page and every page before it are done', async () => {
    // Prepare
    const system = new MemorySystem();
    const relay = system.container.get(PageRelay);
    const { leg, dispatched, relayed } = listLeg(['a', 'b', 'c', 'd', 'e'], 2);

    // Act
    await relay.step({ steps: 'relay#chain#', scope: 'letters', page: 0 }, leg);
    const midway = await relay.progress('relay#chain#');
    for (let i = 0; i < relayed.length; i++) {
      await relay.step(
        { steps: 'relay#chain#', scope: 'letters', page: relayed[i]!.page, cursor: relayed[i]!.cursor },
        leg,
      );
    }

    // Assess
    expect(midway).toMatchObject({ dispatched: 2, complete: false });
    expect(midway.pages.map((p) => p.page)).toEqual([0]);
    const done = await relay.progress('relay#chain#');
    expect(done).toMatchObject({ dispatched: 5, complete: true });
    expect(done.pages.map((p) => [p.page, p.items, p.last])).toEqual([
      [0, 2, false],
      [1, 2, false],
      [2, 1, true],
    ]);
    // Each page's record keeps the cursor it was read from and the one it relayed: what a resume needs.
    expect(done.pages.map((p) => p.cursor)).toEqual([undefined, relayed[0]!.cursor, relayed[1]!.cursor]);
    expect(done.pages.map((p) => p.next)).toEqual([relayed[0]!.cursor, relayed[1]!.cursor, undefined]);
    expect(dispatched).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await relay.progress('relay#another chain#')).toEqual({ pages: [], dispatched: 0, complete: false });
  });

  it('keeps the chains of different runs apart', async () => {
    // Prepare
    const system = new MemorySystem();
    const relay = system.container.get(PageRelay);
    const first = listLeg(['a', 'b'], 5);
    const second = listLeg(['a', 'b'], 5);

    // Act
    const one = await relay.step({ steps: 'relay#run_1#', scope: 'letters', page: 0 }, first.leg);
    const two = await relay.step({ steps: 'relay#run_2#', scope: 'letters', page: 0 }, second.leg);

    // Assess
    expect([one.kind, two.kind]).toEqual(['scanned', 'scanned']);
    expect(second.dispatched).toEqual(['a', 'b']);
  });
});
