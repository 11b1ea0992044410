import type { RelaySettings } from '../../../src/application/settings.js';
import { DeliverNotification } from '../../../src/application/use-cases/deliver-notification.js';
import type { DeliverMessage } from '../../../src/application/work-messages.js';
import { identifyArticles } from '../../../src/domain/article.js';
import { newCrawlRun, notificationIdFor } from '../../../src/domain/crawl-run.js';
import { newFeed } from '../../../src/domain/feed.js';
import type { Subscription } from '../../../src/domain/subscription.js';
import { MemorySystem } from '../../support/memory-system.js';
import { aDeliverMessage, anItem, aSubscription, T_ZERO } from '../../support/mothers.js';
import { takeHeld } from './held-messages.js';

const URL_A = 'https://example.com/feed.xml';

/** A run that found two articles of a feed with one subscriber, and the first attempt to tell it. */
async function aNotification(settings: Partial<RelaySettings> = {}): Promise<{
  system: MemorySystem;
  deliver: DeliverNotification;
  subscription: Subscription;
  message: DeliverMessage;
}> {
  const system = new MemorySystem({ settings });
  const { feeds, articles, subscriptions, runs, clock } = system.adapters;
  const run = newCrawlRun(clock.now(), false, 'n1');
  await runs.create(run);
  const feed = { ...newFeed(URL_A, T_ZERO), title: 'Example feed' };
  await feeds.addNew([feed]);
  const subscription = await subscriptions.add(aSubscription(URL_A, 1));
  const stored = await articles.storeFirstSeen(feed.id, run.id, identifyArticles([anItem(1), anItem(2)]), clock.now());
  const message = aDeliverMessage({
    runId: run.id,
    notificationId: notificationIdFor(subscription.id, 'evt_1'),
    feedId: feed.id,
    subscriptionId: subscription.id,
    articleIds: stored.map((a) => a.id).sort(),
    attempt: 1,
  });
  return { system, deliver: system.container.get(DeliverNotification), subscription, message };
}

describe('DeliverNotification', () => {
  it('delivers the articles to the subscriber and records the notification delivered', async () => {
    // Prepare
    const { system, deliver, subscription, message } = await aNotification();

    // Act
    const result = await deliver.execute(message);

    // Assess
    expect(result).toEqual({ kind: 'delivered' });
    const [received] = system.adapters.sink.received;
    expect(system.adapters.sink.received).toHaveLength(1);
    expect(received).toMatchObject({
      id: message.notificationId,
      subscription: { id: subscription.id },
      feed: { id: message.feedId, url: URL_A, title: 'Example feed' },
      attempt: 1,
    });
    expect(received!.articles.map((a) => a.id).sort()).toEqual(message.articleIds);
    expect(await system.adapters.runs.deliveries(message.runId)).toEqual(['delivered']);
  });

  it('does nothing when the same attempt is replayed', async () => {
    // Prepare
    const { system, deliver, message } = await aNotification();
    await deliver.execute(message);

    // Act
    const replay = await deliver.execute(message);

    // Assess
    expect(replay).toEqual({ kind: 'skipped', reason: 'done' });
    expect(system.adapters.sink.received).toHaveLength(1);
    expect(await system.adapters.runs.deliveries(message.runId)).toEqual(['delivered']);
  });

  describe('when the subscriber asks for a retry', () => {
    it('schedules attempt 2 with a delay and shows the notification pending', async () => {
      // Prepare
      const { system, deliver, subscription, message } = await aNotification({ deliveryBackoffSeconds: 30 });
      system.adapters.sink.answer(subscription.sink.url, { kind: 'retry', reason: 'HTTP 503' });

      // Act
      const result = await deliver.execute(message);
      await system.drain(); // a delayed message is not due yet: it stays parked

      // Assess
      expect(result.kind).toBe('pending');
      expect(result.kind === 'pending' && result.retryInSeconds).toBeGreaterThanOrEqual(15);
      expect(result.kind === 'pending' && result.retryInSeconds).toBeLessThanOrEqual(30);
      expect(system.adapters.queues.depth('deliver')).toBe(1);
      expect((await takeHeld(system.adapters.queues, { runDelayed: true })).deliver).toEqual([
        { ...message, attempt: 2 },
      ]);
      expect(await system.adapters.runs.deliveries(message.runId)).toEqual(['pending']);
      expect(system.adapters.sink.received).toEqual([]);
    });

    it('delivers on the retry and records the notification delivered', async () => {
      // Prepare
      const { system, deliver, subscription, message } = await aNotification();
      system.adapters.sink.answer(subscription.sink.url, { kind: 'retry', reason: 'HTTP 503' });
      await deliver.execute(message);

      // Act
      await system.drain({ runDelayed: true });

      // Assess
      expect(system.adapters.sink.received.map((n) => n.attempt)).toEqual([2]);
      expect(await system.adapters.runs.deliveries(message.runId)).toEqual(['delivered']);
      expect(system.adapters.queues.depth('deliver')).toBe(0);
    });

    it('keeps the same notification id across attempts', async () => {
      // Prepare
      const { system, deliver, subscription, message } = await aNotification();
      const retry = { kind: 'retry', reason: 'timeout' } as const;
      system.adapters.sink.answer(subscription.sink.url, retry, retry);

      // Act
      await deliver.execute(message);
      await system.drain({ runDelayed: true });

      // Assess
      expect(system.adapters.sink.received.map((n) => [n.id, n.attempt])).toEqual([[message.notificationId, 3]]);
    });

    it('waits longer after each attempt, up to an hour, in queue delays SQS can carry', async () => {
      // Prepare
      const { system, deliver, subscription, message } = await aNotification({
        deliveryBackoffSeconds: 30,
        maxDeliveryAttempts: 20,
      });
      for (let i = 0; i < 2; i++)
        system.adapters.sink.answer(subscription.sink.url, { kind: 'retry', reason: 'HTTP 500' });

      // Act
      const third = await deliver.execute({ ...message, attempt: 3 });
      const tenth = await deliver.execute({ ...message, attempt: 10 });

      // Assess: attempt n waits between half and all of 30 s × 2^(n-1), at most 3600 s; a wait past SQS's
      // 900 s delay is carried as notBefore and waited out in hops.
      const delay = (r: typeof third) => (r.kind === 'pending' ? r.retryInSeconds : undefined);
      expect(delay(third)).toBeGreaterThanOrEqual(60);
      expect(delay(third)).toBeLessThanOrEqual(120);
      expect(delay(tenth)).toBeGreaterThanOrEqual(1800);
      expect(delay(tenth)).toBeLessThanOrEqual(3600);
      const held = (await takeHeld(system.adapters.queues, { runDelayed: true })).deliver as {
        attempt: number;
        notBefore?: string;
      }[];
      expect(held.find((m) => m.attempt === 4)?.notBefore).toBeUndefined();
      expect(Date.parse(held.find((m) => m.attempt === 11)!.notBefore!) - system.adapters.clock.now().getTime()).toBe(
        delay(tenth)! * 1000,
      );
    });

    it('waits at least as long as Retry-After asks', async () => {
      // Prepare
      const { system, deliver, subscription, message } = await aNotification({ deliveryBackoffSeconds: 30 });
      system.adapters.sink.answer(subscription.sink.url, { kind: 'retry', reason: 'HTTP 429', retryAfterSeconds: 600 });

      // Act
      const result = await deliver.execute(message);

      // Assess
      expect(result).toEqual({ kind: 'pending', retryInSeconds: 600 });
      expect(system.adapters.queues.depth('deliver')).toBe(1);
    });

    it('gives up as failed when the attempts are exhausted', async () => {
      // Prepare
      const { system, deliver, subscription, message } = await aNotification({ maxDeliveryAttempts: 3 });
      for (let i = 0; i < 5; i++)
        system.adapters.sink.answer(subscription.sink.url, { kind: 'retry', reason: 'HTTP 503' });

      // Act
      await deliver.execute(message);
      await system.drain({ runDelayed: true });

      // Assess
      expect(await system.adapters.runs.deliveries(message.runId)).toEqual(['failed']);
      expect(system.adapters.queues.depth('deliver')).toBe(0);
      expect(system.adapters.queues.deadLetters).toEqual([]);
      expect(system.adapters.sink.received).toEqual([]);
    });

    it('schedules nothing more when an earlier attempt is replayed', async () => {
      // Prepare
      const { system, deliver, subscription, message } = await aNotification();
      system.adapters.sink.answer(subscription.sink.url, { kind: 'retry', reason: 'HTTP 503' });
      await deliver.execute(message);

      // Act
      const replay = await deliver.execute(message);

      // Assess
      expect(replay).toEqual({ kind: 'skipped', reason: 'done' });
      expect((await takeHeld(system.adapters.queues, { runDelayed: true })).deliver).toEqual([
        { ...message, attempt: 2 },
      ]);
    });

    it('settles the notification when its subscription ended before the retry, so the run does not stay pending', async () => {
      // Prepare
      const { system, deliver, subscription, message } = await aNotification();
      system.adapters.sink.answer(subscription.sink.url, { kind: 'retry', reason: 'HTTP 503' });
      await deliver.execute(message);
      await system.adapters.subscriptions.end(subscription.feedId, subscription.id);

      // Act
      await system.drain({ runDelayed: true });

      // Assess
      expect(system.adapters.sink.received).toEqual([]);
      expect(await system.adapters.runs.deliveries(message.runId)).toEqual(['failed']);
    });
  });

  it('ends the subscription when the subscriber says it is gone, and records the notification failed', async () => {
    // Prepare
    const { system, deliver, subscription, message } = await aNotification();
    system.adapters.sink.answer(subscription.sink.url, { kind: 'ended', reason: 'HTTP 410' });

    // Act
    const result = await deliver.execute(message);

    // Assess
    expect(result).toEqual({ kind: 'failed' });
    expect((await system.adapters.subscriptions.get(subscription.feedId, subscription.id))!.status).toBe('ended');
    expect(await system.adapters.runs.deliveries(message.runId)).toEqual(['failed']);
    expect(system.adapters.queues.depth('deliver')).toBe(0);
  });

  it('records a rejected notification failed without a retry, and keeps the subscription', async () => {
    // Prepare
    const { system, deliver, subscription, message } = await aNotification();
    system.adapters.sink.answer(subscription.sink.url, { kind: 'rejected', reason: 'HTTP 301 (not followed)' });

    // Act
    const result = await deliver.execute(message);

    // Assess
    expect(result).toEqual({ kind: 'failed' });
    expect(system.adapters.queues.depth('deliver')).toBe(0);
    expect(await system.adapters.runs.deliveries(message.runId)).toEqual(['failed']);
    expect((await system.adapters.subscriptions.get(subscription.feedId, subscription.id))!.status).toBe('active');
  });

  it('fails a notification whose subscription is gone or ended, without delivering it', async () => {
    // Prepare
    const { system, deliver, subscription, message } = await aNotification();
    await system.adapters.subscriptions.end(subscription.feedId, subscription.id);

    // Act
    const ended = await deliver.execute(message);
    const unknown = await deliver.execute({ ...message, subscriptionId: 'sub_unknown', notificationId: 'msg_other' });

    // Assess
    expect(ended).toEqual({ kind: 'failed' });
    expect(unknown).toEqual({ kind: 'failed' });
    expect(system.adapters.sink.received).toEqual([]);
  });
});
