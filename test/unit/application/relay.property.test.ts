import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { pino } from 'pino';
import type { RelayStepResult } from '../../../src/application/page-relay.js';
import { ScanFeedsPage } from '../../../src/application/use-cases/scan-feeds-page.js';
import { ScanSubscribersPage } from '../../../src/application/use-cases/scan-subscribers-page.js';
import { Subscribe } from '../../../src/application/use-cases/subscribe.js';
import {
  parseWorkMessage,
  type ScanFeedsPageMessage,
  type ScanSubscribersPageMessage,
} from '../../../src/application/work-messages.js';
import { newFeed } from '../../../src/domain/feed.js';
import { sqsBatchHandler, type SqsEvent } from '../../../src/entrypoints/lambda/sqs-batch.js';
import type { InMemoryStepLedger } from '../../../src/adapters/memory/in-memory-step-ledger.js';
import { TOKENS } from '../../../src/application/tokens.js';
import { MemorySystem } from '../../support/memory-system.js';
import { aDocument, anItem, aSubscription, feedUrl } from '../../support/mothers.js';
import { takeHeld, type QueueName } from './held-messages.js';

/*
 * The relay never forks and never skips, whatever order SQS hands the messages over in and however often:
 * every page of every chain (the feed scan's segments, each feed's subscriber shards) is completed exactly
 * once, every feed is fetched exactly once, and every subscriber is told about every new article exactly once.
 */

interface Message {
  readonly queue: QueueName;
  readonly body: string;
  readonly messageId: string;
}

/** One move of the platform: which waiting message(s) to hand over, and whether a copy stays behind. */
interface Move {
  /** Picks the message among those waiting (modulo their number). */
  readonly pick: number;
  /** A second message handed over at the same time, to another invocation. */
  readonly alongside?: number;
  /** The message is handed over but stays in the queue: a duplicate delivery, or a crash after the work. */
  readonly keep: boolean;
  /**
   * The invocation dies after its work, before it marks its step done (so it releases nothing either): the
   * message comes back once its visibility time-out, and with it the step's lease, has run out.
   */
  readonly crash?: boolean;
}
const anyMove: fc.Arbitrary<Move> = fc.record(
  { pick: fc.nat(), alongside: fc.nat(), keep: fc.boolean() },
  { requiredKeys: ['pick', 'keep'] },
);
const anyMoveOrCrash: fc.Arbitrary<Move> = fc.record(
  { pick: fc.nat(), alongside: fc.nat(), keep: fc.boolean(), crash: fc.boolean() },
  { requiredKeys: ['pick', 'keep'] },
);

/**
 * Lets the test kill an invocation between its work and its step's completion: while `dying` is set, marking a
 * step done fails and nothing is released, as when the process dies there.
 */
function mortal(ledger: InMemoryStepLedger): { dying: boolean } {
  const state = { dying: false };
  const complete = ledger.complete.bind(ledger);
  const release = ledger.release.bind(ledger);
  ledger.complete = async (...args) => {
    if (state.dying) throw new Error('the invocation died before marking its step done');
    return complete(...args);
  };
  ledger.release = async (...args) => {
    if (!state.dying) await release(...args);
  };
  return state;
}

/** The system under test: feeds, each with its subscribers, and the handlers with page counters. */
async function aSystem(options: {
  feeds: number;
  subscribers: number;
  feedPageSize: number;
  subscriberPageSize: number;
  segments: number;
}) {
  const system = new MemorySystem({
    settings: {
      feedPageSize: options.feedPageSize,
      subscriberPageSize: options.subscriberPageSize,
      feedsPerMessage: 2,
      scanSegments: options.segments,
    },
  });
  const { feeds, fetcher, clock } = system.adapters;
  const urls = Array.from({ length: options.feeds }, (_, i) => feedUrl(i));
  await feeds.addNew(urls.map((url) => newFeed(url, clock.now())));
  urls.forEach((url, i) => fetcher.publish(url, aDocument([anItem(i)])));
  const subscriptions = urls.flatMap((url) =>
    Array.from({ length: options.subscribers }, (_, n) => {
      const { sink, secret } = aSubscription(url, n);
      return { feedUrl: url, sink, secret };
    }),
  );
  if (subscriptions.length > 0) await system.container.get(Subscribe).execute(subscriptions);

  // Every page a relay step completed (not skipped), by chain and page number. A fan-out reads an empty last
  // page without taking a step (it has no effect to make happen once), so a copy may read it again: such a
  // read is noted once, the pages with work or a relay are counted.
  const completedPages = new Map<string, number>();
  const count = (key: string, result: RelayStepResult & { kind: 'scanned' }, untracked = false): void => {
    const effectless = untracked && result.items === 0 && result.last;
    completedPages.set(key, effectless ? 1 : (completedPages.get(key) ?? 0) + 1);
  };
  const silent = pino({ level: 'silent' });
  const scanFeeds = system.container.get(ScanFeedsPage);
  const scanSubscribers = system.container.get(ScanSubscribersPage);
  const handlers: Record<QueueName, (event: SqsEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>> =
    {
      ...system.handlers,
      'scan-feeds': sqsBatchHandler('scan-feeds', silent, async (body) => {
        const message = parseWorkMessage(body, 'scan-feeds') as ScanFeedsPageMessage;
        const result = await scanFeeds.execute(message);
        if (result.kind === 'scanned')
          count(`feeds ${message.segment}/${message.segments} page ${message.page}`, result);
        return result;
      }),
      'scan-subscribers': sqsBatchHandler('scan-subscribers', silent, async (body) => {
        const message = parseWorkMessage(body, 'scan-subscribers') as ScanSubscribersPageMessage;
        const result = await scanSubscribers.execute(message);
        if (result.kind === 'scanned')
          count(`${message.eventId} shard ${message.shard} page ${message.page}`, result, true);
        return result;
      }),
      'fetch-feed': system.handlers.fetchFeed,
      'start-fan-out': system.handlers.startFanOut,
      deliver: system.handlers.deliver,
    } as never;
  return { system, urls, handlers, completedPages };
}

/**
 * Plays the platform: takes what the queues hold into one pool and hands the messages over in the order
 * (and with the copies and deaths) that `moves` say; once the moves are used up, first come first served. A
 * message whose handler reports it failed (its step is held by the other copy) stays in the pool.
 */
async function deliverInAnyOrder(
  system: MemorySystem,
  handlers: Record<QueueName, (event: SqsEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>>,
  moves: readonly Move[],
): Promise<number> {
  const death = mortal(system.adapters.ledger);
  const leaseSeconds = system.container.get(TOKENS.RelaySettings).leaseSeconds;
  const pool: Message[] = [];
  let sequence = 0;
  const collect = async (): Promise<void> => {
    const held = await takeHeld(system.adapters.queues, { runDelayed: true });
    for (const [queue, messages] of Object.entries(held) as [QueueName, Record<string, unknown>[]][]) {
      for (const message of messages) pool.push({ queue, body: JSON.stringify(message), messageId: `m${sequence++}` });
    }
  };
  const invoke = async (message: Message): Promise<boolean> => {
    const record = { messageId: message.messageId, body: message.body, attributes: { ApproximateReceiveCount: '1' } };
    const response = await handlers[message.queue]({ Records: [record] });
    return response.batchItemFailures.length === 0;
  };
  await collect();
  let steps = 0;
  for (; pool.length > 0; steps++) {
    if (steps > 10_000) throw new Error('the relay did not come to an end');
    const move: Move = moves[steps] ?? { pick: 0, keep: false };
    const first = pool.splice(move.pick % pool.length, 1)[0]!;
    // A feed-scan page that dies after it dispatched is read again: a feed its first fetch committed is sent as
    // that commit's replay (`fetchableIn`), whichever copy of the fetch gets there first.
    if (move.crash) {
      death.dying = true;
      await invoke(first).finally(() => (death.dying = false));
      pool.push(first);
      system.adapters.clock.advance(leaseSeconds + 1);
      await collect();
      continue;
    }
    const second =
      move.alongside !== undefined && pool.length > 0 ? pool.splice(move.alongside % pool.length, 1)[0] : undefined;
    const taken = second ? [first, second] : [first];
    const outcomes = await Promise.all(taken.map(invoke));
    taken.forEach((message, index) => {
      if (!outcomes[index] || (index === 0 && move.keep)) pool.push(message);
    });
    await collect();
  }
  return steps;
}

describe('the page relay, under any order and any duplication of its messages', () => {
  it('completes every page once, fetches every feed once and tells every subscriber once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          feeds: fc.integer({ min: 0, max: 9 }),
          subscribers: fc.integer({ min: 0, max: 5 }),
          feedPageSize: fc.integer({ min: 1, max: 4 }),
          subscriberPageSize: fc.integer({ min: 1, max: 3 }),
          segments: fc.integer({ min: 1, max: 3 }),
          moves: fc.array(anyMove, { maxLength: 120 }),
        }),
        async ({ moves, ...shape }) => {
          // Prepare
          const { system, urls, handlers, completedPages } = await aSystem(shape);
          const { runId } = await system.handlers.startCrawl();

          // Act
          await deliverInAnyOrder(system, handlers, moves);

          // Assess: no page twice, and no page skipped — each chain's pages follow one another without a gap.
          expect([...completedPages.values()].every((n) => n === 1)).toBe(true);
          const pagesByChain = new Map<string, number[]>();
          for (const key of completedPages.keys()) {
            const [chain, page] = key.split(' page ') as [string, string];
            pagesByChain.set(chain, [...(pagesByChain.get(chain) ?? []), Number(page)]);
          }
          // A fan-out's first page is scanned by its start (start-fan-out), the pages after it by the relay.
          for (const [chain, pages] of pagesByChain) {
            const first = chain.startsWith('feeds ') ? 0 : 1;
            expect(pages.sort((a, b) => a - b)).toEqual(pages.map((_, i) => first + i));
          }
          expect([...pagesByChain.keys()].filter((chain) => chain.startsWith('feeds '))).toHaveLength(shape.segments);

          const { fetcher, sink } = system.adapters;
          expect([...fetcher.fetches.keys()].sort()).toEqual([...urls].sort());
          expect([...fetcher.fetches.values()].every((n) => n === 1)).toBe(true);

          const told = sink.received.flatMap((n) => n.articles.map((a) => `${n.subscription.id} ${a.id}`));
          expect(told).toHaveLength(shape.feeds * shape.subscribers);
          expect(new Set(told).size).toBe(told.length);

          expect(await system.summary(runId)).toMatchObject({
            feeds: shape.feeds,
            fetched: shape.feeds,
            newArticles: shape.feeds,
            complete: true,
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('the page relay, when invocations also die between their work and marking it done', () => {
  it('completes every page once, stores every article once and tells every subscriber of it under one id', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          feeds: fc.integer({ min: 0, max: 6 }),
          subscribers: fc.integer({ min: 0, max: 4 }),
          feedPageSize: fc.integer({ min: 1, max: 3 }),
          subscriberPageSize: fc.integer({ min: 1, max: 3 }),
          segments: fc.integer({ min: 1, max: 2 }),
          moves: fc.array(anyMoveOrCrash, { maxLength: 80 }),
        }),
        async ({ moves, ...shape }) => {
          // Prepare
          const { system, urls, handlers, completedPages } = await aSystem(shape);
          const { runId } = await system.handlers.startCrawl();

          // Act
          await deliverInAnyOrder(system, handlers, moves);

          // Assess: a page redone after a death is completed once; a feed may be fetched again, its articles
          // are stored once; a subscriber may be sent a notification again, under the same webhook-id only.
          expect([...completedPages.values()].every((n) => n === 1)).toBe(true);
          const { fetcher, sink } = system.adapters;
          expect([...fetcher.fetches.keys()].sort()).toEqual([...urls].sort());
          const idsByPair = new Map<string, Set<string>>();
          for (const notification of sink.received) {
            for (const article of notification.articles) {
              const pair = `${notification.subscription.id} ${article.id}`;
              idsByPair.set(pair, (idsByPair.get(pair) ?? new Set()).add(notification.id));
            }
          }
          expect(idsByPair.size).toBe(shape.feeds * shape.subscribers);
          expect([...idsByPair.values()].every((ids) => ids.size === 1)).toBe(true);
          expect(await system.summary(runId)).toMatchObject({
            feeds: shape.feeds,
            fetched: shape.feeds,
            newArticles: shape.feeds,
            complete: true,
          });
        },
      ),
      // This seed kills a feed-scan page after it dispatched, and the fetch its first copy sent after its commit.
      { numRuns: 30, seed: -715360956 },
    );
  });
});
