import { DeliveryTallies } from '../../../src/application/delivery-tallies.js';
import type { RelaySettings } from '../../../src/application/settings.js';
import { deliveryStepId } from '../../../src/application/step-ids.js';
import { DeliverBatch } from '../../../src/application/use-cases/deliver-batch.js';
import type { DeliverMessage, Recipient } from '../../../src/application/work-messages.js';
import { identifyArticles } from '../../../src/domain/article.js';
import { newCrawlRun, notificationIdFor } from '../../../src/domain/crawl-run.js';
import { newFeed } from '../../../src/domain/feed.js';
import type { Subscription } from '../../../src/domain/subscription.js';
import { MemorySystem } from '../../support/memory-system.js';
import { aDeliverMessage, anItem, aSubscription, T0 } from '../../support/mothers.js';
import { takeHeld } from './held-messages.js';

const URL_A = 'https://example.com/feed.xml';
const EVENT = 'evt_1';

const recipientOf = (s: Subscription): Recipient => ({
  subscriptionId: s.id,
  sink: s.sink,
  secret: s.secret,
  createdAt: s.createdAt,
});

/** A run that found two articles of a feed with `subscribers` subscribers, and the first attempt to tell them. */
async function aBatch(
  subscribers: number,
  settings: Partial<RelaySettings> = {},
): Promise<{
  system: MemorySystem;
  deliver: DeliverBatch;
  subscriptions: Subscription[];
  message: DeliverMessage;
}> {
  const system = new MemorySystem({ settings });
  const { feeds, articles, runs, clock } = system.adapters;
  const run = newCrawlRun(clock.now(), false, 'n1');
  await runs.begin(run, undefined);
  const feed = { ...newFeed(URL_A, T0), title: 'Example feed' };
  await feeds.addNew([feed]);
  const subscriptions: Subscription[] = [];
  for (let n = 0; n < subscribers; n++) {
    subscriptions.push(await system.adapters.subscriptions.add(aSubscription(URL_A, n)));
  }
  const stored = identifyArticles([anItem(1), anItem(2)]).map((a) => ({
    ...a,
    feedId: feed.id,
    firstSeenAt: clock.now().toISOString(),
    firstSeenRunId: run.id,
  }));
  await articles.putDiscovery(feed.id, EVENT, stored);
  const message = aDeliverMessage({
    runId: run.id,
    eventId: EVENT,
    feed: { id: feed.id, url: feed.url, title: 'Example feed' },
    articleIds: stored.map((a) => a.id).sort(),
    batch: '0.0',
    attempt: 1,
    recipients: subscriptions.map(recipientOf),
  });
  return { system, deliver: system.container.get(DeliverBatch), subscriptions, message };
}

const tallies = (system: MemorySystem, runId: string) => system.container.get(DeliveryTallies).of(runId);

describe('DeliverBatch', () => {
  it('delivers the articles to every recipient of the batch, each under its own webhook-id, and counts them', async () => {
    // Prepare
    const { system, deliver, subscriptions, message } = await aBatch(5);

    // Act
    const result = await deliver.execute(message);

    // Assess
    expect(result).toEqual({
      kind: 'attempted',
      tally: { recipients: 5, delivered: 5, failed: 0, pending: 0, carried: 0 },
    });
    const received = system.adapters.sink.received;
    expect(received.map((n) => [n.subscription.id, n.id]).sort()).toEqual(
      subscriptions.map((s) => [s.id, notificationIdFor(s.id, EVENT)]).sort(),
    );
    expect(received[0]).toMatchObject({
      feed: { id: message.feed.id, url: URL_A, title: 'Example feed' },
      attempt: 1,
    });
    expect(received.every((n) => n.articles.map((a) => a.id).join() === message.articleIds.join())).toBe(true);
    expect(await tallies(system, message.runId)).toEqual({ delivered: 5, failed: 0, pending: 0 });
  });

  it('loads the articles once for the whole batch', async () => {
    // Prepare
    const { system, deliver, message } = await aBatch(20);
    let reads = 0;
    const getDiscovery = system.adapters.articles.getDiscovery.bind(system.adapters.articles);
    system.adapters.articles.getDiscovery = (feedId, eventId) => {
      reads++;
      return getDiscovery(feedId, eventId);
    };

    // Act
    await deliver.execute(message);

    // Assess
    expect(reads).toBe(1);
    expect(system.adapters.sink.received).toHaveLength(20);
  });

  it('delivers and counts once when the same deliver message arrives twice', async () => {
    // Prepare
    const { system, deliver, message } = await aBatch(3);
    await deliver.execute(message);

    // Act
    const replay = await deliver.execute(message);

    // Assess
    expect(replay).toEqual({ kind: 'skipped', reason: 'done' });
    expect(system.adapters.sink.received).toHaveLength(3);
    expect(await tallies(system, message.runId)).toEqual({ delivered: 3, failed: 0, pending: 0 });
  });

  it('spreads a run’s delivery steps over ledger partitions by discovery and batch, not by attempt', () => {
    // Prepare
    const batches = Array.from({ length: 64 }, (_, page) => aDeliverMessage({ runId: 'run_1', batch: `0.${page}` }));

    // Act
    const chains = new Set(batches.map((m) => deliveryStepId(m).split('#')[1]));

    // Assess
    expect(chains.size).toBeGreaterThan(8);
    const [first] = batches;
    expect(deliveryStepId({ ...first!, attempt: 2 }).split('#')[1]).toBe(deliveryStepId(first!).split('#')[1]);
    expect(deliveryStepId(first!)).toMatch(/^deliver#run_1\.\d{1,2}#evt_test\.0\.0\.1$/);
  });

  describe('when some recipients ask for a retry', () => {
    it('carries only them to the next attempt, in one message under the same batch key and webhook-ids', async () => {
      // Prepare
      const { system, deliver, subscriptions, message } = await aBatch(4, { deliveryBackoffSeconds: 30 });
      const [, flaky1, , flaky3] = subscriptions;
      system.adapters.sink.answer(flaky1!.sink.url, { kind: 'retry', reason: 'HTTP 503' });
      system.adapters.sink.answer(flaky3!.sink.url, { kind: 'retry', reason: 'timeout' });

      // Act
      const result = await deliver.execute(message);

      // Assess
      expect(result).toMatchObject({ tally: { recipients: 4, delivered: 2, failed: 0, pending: 2, carried: 0 } });
      const retryIn = result.kind === 'attempted' ? result.retryInSeconds : undefined;
      expect(retryIn).toBeGreaterThanOrEqual(15);
      expect(retryIn).toBeLessThanOrEqual(30);
      expect((await takeHeld(system.adapters.queues, { runDelayed: true })).deliver).toEqual([
        { ...message, attempt: 2, recipients: [recipientOf(flaky1!), recipientOf(flaky3!)] },
      ]);
      expect(await tallies(system, message.runId)).toEqual({ delivered: 2, failed: 0, pending: 2 });
    });

    it('delivers them on the retry under the same webhook-ids, and the run settles with nothing pending', async () => {
      // Prepare
      const { system, deliver, subscriptions, message } = await aBatch(3);
      const flaky = subscriptions[1]!;
      const retry = { kind: 'retry', reason: 'HTTP 503' } as const;
      system.adapters.sink.answer(flaky.sink.url, retry, retry);

      // Act
      await deliver.execute(message);
      await system.drain({ runDelayed: true });

      // Assess
      const toFlaky = system.adapters.sink.received.filter((n) => n.subscription.id === flaky.id);
      expect(toFlaky.map((n) => [n.id, n.attempt])).toEqual([[notificationIdFor(flaky.id, EVENT), 3]]);
      expect(system.adapters.sink.received).toHaveLength(3);
      expect(await tallies(system, message.runId)).toEqual({ delivered: 3, failed: 0, pending: 0 });
    });

    it('waits at least as long as the largest Retry-After of the batch asks', async () => {
      // Prepare
      const { system, deliver, subscriptions, message } = await aBatch(3, { deliveryBackoffSeconds: 30 });
      system.adapters.sink.answer(subscriptions[0]!.sink.url, {
        kind: 'retry',
        reason: 'HTTP 429',
        retryAfterSeconds: 120,
      });
      system.adapters.sink.answer(subscriptions[2]!.sink.url, {
        kind: 'retry',
        reason: 'HTTP 429',
        retryAfterSeconds: 600,
      });

      // Act
      const result = await deliver.execute(message);

      // Assess
      expect(result).toMatchObject({ retryInSeconds: 600 });
      expect(system.adapters.queues.depth('deliver')).toBe(1);
    });

    it('carries a wait longer than SQS can delay as notBefore, and waits it out in hops', async () => {
      // Prepare
      const { system, deliver, subscriptions, message } = await aBatch(2, {
        deliveryBackoffSeconds: 30,
        maxDeliveryAttempts: 20,
      });
      system.adapters.sink.answer(subscriptions[0]!.sink.url, { kind: 'retry', reason: 'HTTP 500' });

      // Act
      const tenth = await deliver.execute({ ...message, attempt: 10 });
      const [next] = (await takeHeld(system.adapters.queues, { runDelayed: true }))
        .deliver as unknown as DeliverMessage[];
      const hop = await deliver.execute(next!);

      // Assess: attempt 10 waits between half and all of 30 s × 2^9, at most 3600 s.
      const delay = tenth.kind === 'attempted' ? tenth.retryInSeconds! : 0;
      expect(delay).toBeGreaterThanOrEqual(1800);
      expect(delay).toBeLessThanOrEqual(3600);
      expect(Date.parse(next!.notBefore!) - system.adapters.clock.now().getTime()).toBe(delay * 1000);
      expect(hop).toEqual({ kind: 'skipped', reason: 'waiting' });
      expect((await takeHeld(system.adapters.queues, { runDelayed: true })).deliver).toEqual([next]);
    });

    it('fails them for good when the attempts are exhausted', async () => {
      // Prepare
      const { system, deliver, subscriptions, message } = await aBatch(2, { maxDeliveryAttempts: 3 });
      for (let i = 0; i < 5; i++) {
        system.adapters.sink.answer(subscriptions[0]!.sink.url, { kind: 'retry', reason: 'HTTP 503' });
      }

      // Act
      await deliver.execute(message);
      await system.drain({ runDelayed: true });

      // Assess
      expect(await tallies(system, message.runId)).toEqual({ delivered: 1, failed: 1, pending: 0 });
      expect(system.adapters.queues.depth('deliver')).toBe(0);
      expect(system.adapters.queues.deadLetters).toEqual([]);
    });

    it('schedules nothing more when an earlier attempt is replayed', async () => {
      // Prepare
      const { system, deliver, subscriptions, message } = await aBatch(2);
      system.adapters.sink.answer(subscriptions[0]!.sink.url, { kind: 'retry', reason: 'HTTP 503' });
      await deliver.execute(message);

      // Act
      const replay = await deliver.execute(message);

      // Assess
      expect(replay).toEqual({ kind: 'skipped', reason: 'done' });
      expect((await takeHeld(system.adapters.queues, { runDelayed: true })).deliver).toHaveLength(1);
    });
  });

  it('ends the subscription of a recipient that says it is gone, and counts it failed', async () => {
    // Prepare
    const { system, deliver, subscriptions, message } = await aBatch(2);
    const gone = subscriptions[0]!;
    system.adapters.sink.answer(gone.sink.url, { kind: 'ended', reason: 'HTTP 410' });

    // Act
    const result = await deliver.execute(message);

    // Assess
    expect(result).toMatchObject({ tally: { delivered: 1, failed: 1, pending: 0 } });
    expect((await system.adapters.subscriptions.get(gone.feedId, gone.id))!.status).toBe('ended');
    expect((await system.adapters.subscriptions.get(gone.feedId, subscriptions[1]!.id))!.status).toBe('active');
    expect(system.adapters.queues.depth('deliver')).toBe(0);
  });

  it('counts a rejected recipient failed without a retry, and keeps its subscription', async () => {
    // Prepare
    const { system, deliver, subscriptions, message } = await aBatch(1);
    system.adapters.sink.answer(subscriptions[0]!.sink.url, { kind: 'rejected', reason: 'HTTP 301 (not followed)' });

    // Act
    const result = await deliver.execute(message);

    // Assess
    expect(result).toMatchObject({ tally: { delivered: 0, failed: 1, pending: 0 } });
    expect(system.adapters.queues.depth('deliver')).toBe(0);
    expect((await system.adapters.subscriptions.get(subscriptions[0]!.feedId, subscriptions[0]!.id))!.status).toBe(
      'active',
    );
  });

  it('delivers at most `deliveryConcurrency` notifications at once', async () => {
    // Prepare
    const { system, deliver, message } = await aBatch(12, { deliveryConcurrency: 3 });
    let inFlight = 0;
    let most = 0;
    const sink = system.adapters.sink;
    const original = sink.deliver.bind(sink);
    sink.deliver = async (notification) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return original(notification);
    };

    // Act
    await deliver.execute(message);

    // Assess
    expect(most).toBe(3);
    expect(sink.received).toHaveLength(12);
  });
});
