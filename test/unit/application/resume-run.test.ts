import fc from 'fast-check';
import { ResumeRun } from '../../../src/application/use-cases/resume-run.js';
import { Subscribe } from '../../../src/application/use-cases/subscribe.js';
import { notificationIdFor, type CrawlRunSummary } from '../../../src/domain/crawl-run.js';
import { feedIdFor, newFeed } from '../../../src/domain/feed.js';
import type { DeliverMessage } from '../../../src/application/work-messages.js';
import { MemorySystem } from '../../support/memory-system.js';
import { takeHeld } from './held-messages.js';

const QUEUES = ['scan-feeds', 'fetch-feed', 'start-fan-out', 'scan-subscribers', 'deliver'];
import { aDocument, anItem, aSubscription, feedUrl, seededRandom } from '../../support/mothers.js';

/** Small pages everywhere, so that a few feeds and subscribers make many messages of every kind. */
const SMALL = {
  feedPageSize: 4,
  feedsPerMessage: 2,
  scanSegments: 2,
  subscriberPageSize: 3,
  recipientsPerDelivery: 2,
  leaseSeconds: 30,
};

/** 24 feeds with two new articles each; the first 8 have 7 subscribers each (56 notifications expected). */
async function aSystemWithSubscribers(): Promise<{ system: MemorySystem; expected: Set<string> }> {
  const system = new MemorySystem({ settings: SMALL });
  const { feeds, fetcher, clock } = system.adapters;
  const urls = Array.from({ length: 24 }, (_, i) => feedUrl(i));
  await feeds.addNew(urls.map((url) => newFeed(url, clock.now())));
  urls.forEach((url, i) => fetcher.publish(url, aDocument([anItem(i * 10), anItem(i * 10 + 1)])));
  const { subscriptions } = await system.container.get(Subscribe).execute(
    urls.slice(0, 8).flatMap((url) =>
      Array.from({ length: 7 }, (_, n) => {
        const { sink, secret } = aSubscription(url, n);
        return { feedUrl: url, sink, secret };
      }),
    ),
  );
  clock.advance(1);
  return { system, expected: new Set(subscriptions.map((s) => s.id)) };
}

/** Each subscription's notifications: how many arrived, under which webhook-ids, with which articles. */
function received(system: MemorySystem) {
  const bySubscription = new Map<string, { ids: Set<string>; articles: string[] }>();
  for (const n of system.adapters.sink.received) {
    const entry = bySubscription.get(n.subscription.id) ?? { ids: new Set<string>(), articles: [] };
    entry.ids.add(n.id);
    entry.articles.push(...n.articles.map((a) => a.guid ?? a.id));
    bySubscription.set(n.subscription.id, entry);
  }
  return bySubscription;
}

/** The run is complete and exact: every subscriber heard of both articles of its feed once, under one webhook-id. */
function expectExact(system: MemorySystem, summary: CrawlRunSummary, expected: ReadonlySet<string>): void {
  expect(summary).toMatchObject({
    feeds: 24,
    fetched: 24,
    newArticles: 48,
    notifications: { delivered: 56, failed: 0, pending: 0 },
    complete: true,
  });
  const bySubscription = received(system);
  expect(new Set(bySubscription.keys())).toEqual(expected);
  for (const entry of bySubscription.values()) {
    expect(entry.ids.size).toBe(1);
    expect(new Set(entry.articles).size).toBe(2);
  }
}

async function resumeAndDrain(system: MemorySystem, runId: string): Promise<CrawlRunSummary> {
  await system.container.get(ResumeRun).execute(runId);
  await system.drain();
  return system.summary(runId);
}

describe('ResumeRun', () => {
  it.each([1, 2, 3, 4, 5, 6])(
    'brings back whatever messages were lost (seed %i): every subscriber hears of every article once',
    async (seed) => {
      // Prepare
      const { system, expected } = await aSystemWithSubscribers();
      const { runId } = await system.handlers.startCrawl({});

      // Act: a fifth of all messages, of every kind, are lost; then one resume, and the queues are drained.
      await system.drain({ lossRate: 0.2, random: seededRandom(seed) });
      const before = await system.summary(runId);
      const after = await resumeAndDrain(system, runId);

      // Assess
      expect(system.adapters.queues.lost.length).toBeGreaterThan(0);
      expect(before.complete).toBe(false);
      expectExact(system, after, expected);
      // Nothing doubled: one notification per subscriber.
      expect(system.adapters.sink.received).toHaveLength(56);
    },
  );

  it('says where a run stands while work is missing, and marks it finished once it is complete', async () => {
    // Prepare
    const { system } = await aSystemWithSubscribers();
    const { runId } = await system.handlers.startCrawl({});
    await system.drain({ lossRate: 0.3, random: seededRandom(11) });
    const resume = system.container.get(ResumeRun);

    // Act
    const stalled = await system.summary(runId);
    const first = await resume.execute(runId);
    await system.drain();
    const second = await resume.execute(runId);

    // Assess
    expect(stalled.complete).toBe(false);
    const { progress } = stalled;
    const missing =
      progress.scan.segments -
      progress.scan.segmentsDone +
      progress.fetches.batches -
      progress.fetches.done +
      progress.fanOut.chains -
      progress.fanOut.chainsDone +
      progress.deliveries.batches -
      progress.deliveries.done;
    expect(missing).toBeGreaterThan(0);
    expect(first).toMatchObject({ resumed: true, complete: false });
    expect(first.scanSteps + first.fetches + first.fanOutSteps + first.deliveries).toBeGreaterThan(0);
    expect(second).toMatchObject({ resumed: false, complete: true, scanSteps: 0, fetches: 0, deliveries: 0 });
    expect((await system.adapters.runs.list(5)).find((run) => run.id === runId)?.finished).toBe(true);
  });

  it('leaves a run younger than the given instant alone', async () => {
    // Prepare
    const { system } = await aSystemWithSubscribers();
    const { runId } = await system.handlers.startCrawl({});
    await system.drain({ lossRate: 0.5, random: seededRandom(3) });

    // Act
    const report = await system.container
      .get(ResumeRun)
      .execute(runId, { startedBefore: new Date(system.adapters.clock.now().getTime() - 60_000) });

    // Assess
    expect(report).toMatchObject({ resumed: false, complete: false, scanSteps: 0, fetches: 0 });
    expect(QUEUES.map((queue) => system.adapters.queues.depth(queue))).toEqual([0, 0, 0, 0, 0]);
  });

  it('announces what a fetch committed before its message was lost, under the same event', async () => {
    // Prepare: the fetch commits, then its environment dies before the announcement and the step's completion.
    const { system, expected } = await aSystemWithSubscribers();
    const { bus, queues } = system.adapters;
    const { runId } = await system.handlers.startCrawl({});
    const original = bus.publish.bind(bus);
    let dying = true;
    bus.publish = async (events) => {
      if (dying) throw new Error('the environment died');
      return original(events);
    };
    await system.drain();
    // Every fetch message that found something to announce failed after its commits, until it was dead-lettered.
    const deadLettered = [
      ...queues.deadLetters.filter((letter) => letter.queue === 'fetch-feed'),
      ...(await system.adapters.deadLetters.list()).filter((letter) => letter.queue.includes('fetch')),
    ];
    dying = false;

    // Act
    const after = await resumeAndDrain(system, runId);

    // Assess
    expect(deadLettered.length).toBeGreaterThan(0);
    expect(after).toMatchObject({
      newArticles: 48,
      notifications: { delivered: 56, failed: 0, pending: 0 },
      complete: true,
    });
    expect(new Set(received(system).keys())).toEqual(expected);
    expect(bus.published.map((e) => e.eventId).length).toBe(new Set(bus.published.map((e) => e.eventId)).size);
  });

  it('sends again a retry that never came, once it is overdue, to the recipients still waiting for it', async () => {
    // Prepare: one subscriber of the first feed asks for a retry; its retry message is then lost.
    const { system } = await aSystemWithSubscribers();
    const { sink, queues, clock } = system.adapters;
    sink.answer(aSubscription(feedUrl(0), 3).sink.url, { kind: 'retry', reason: 'HTTP 503' });
    const { runId } = await system.handlers.startCrawl({});
    await system.drain();
    const lostRetries = (await takeHeld(queues, { runDelayed: true })).deliver;
    const stalled = await system.summary(runId);

    // Act
    const early = await system.container.get(ResumeRun).execute(runId);
    clock.advance(2 * 3600);
    const late = await system.container.get(ResumeRun).execute(runId);
    await system.drain({ runDelayed: true });

    // Assess
    expect(lostRetries).toHaveLength(1);
    expect(stalled).toMatchObject({ notifications: { delivered: 55, pending: 1 }, complete: false });
    expect(early.retries).toBe(0);
    expect(late.retries).toBe(1);
    const summary = await system.summary(runId);
    expect(summary).toMatchObject({ notifications: { delivered: 56, failed: 0, pending: 0 }, complete: true });
    const [retried] = lostRetries as unknown as DeliverMessage[];
    const subscriptionId = retried!.recipients[0]!.subscriptionId;
    const toWaiting = sink.received.filter((n) => n.subscription.id === subscriptionId);
    expect(toWaiting.map((n) => n.id)).toEqual([notificationIdFor(subscriptionId, retried!.eventId)]);
  });
});

describe('ResumeRun, after a fan-out page delivered its lone part itself', () => {
  it('sends again the retry that page sent, once it is overdue, under the same webhook-id', async () => {
    // Prepare: a feed of two subscribers (one page, one part: delivered by the page); one asks for a retry,
    // and the retry message is lost.
    const system = new MemorySystem({ settings: SMALL });
    const { feeds, fetcher, clock, sink, queues } = system.adapters;
    await feeds.addNew([newFeed(feedUrl(1), clock.now())]);
    fetcher.publish(feedUrl(1), aDocument([anItem(1), anItem(2)]));
    const { subscriptions } = await system.container.get(Subscribe).execute(
      [0, 1].map((n) => {
        const { sink: target, secret } = aSubscription(feedUrl(1), n);
        return { feedUrl: feedUrl(1), sink: target, secret };
      }),
    );
    clock.advance(1);
    sink.answer(aSubscription(feedUrl(1), 1).sink.url, { kind: 'retry', reason: 'HTTP 503' });
    const { runId } = await system.handlers.startCrawl({});
    await system.drain();
    const sentBeforeResume = queues.sentCount.get('deliver');
    const lost = (await takeHeld(queues, { runDelayed: true })).deliver as unknown as DeliverMessage[];

    // Act
    clock.advance(2 * 3600);
    const resumed = await system.container.get(ResumeRun).execute(runId);
    await system.drain({ runDelayed: true });

    // Assess: the lone part went out with no deliver message; only its retry did, and the resume sent it again.
    expect(sentBeforeResume).toBe(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ attempt: 2, recipients: [{ subscriptionId: subscriptions[1]!.id }] });
    expect(resumed.retries).toBe(1);
    expect(await system.summary(runId)).toMatchObject({
      notifications: { delivered: 2, failed: 0, pending: 0 },
      complete: true,
    });
    expect(sink.received.map((n) => [n.subscription.id, n.id]).sort()).toEqual(
      subscriptions.map((s) => [s.id, notificationIdFor(s.id, lost[0]!.eventId)]).sort(),
    );
  });
});

describe('the fault matrix, in memory', () => {
  const RATES = [
    { duplicateRate: 0.2, crashRate: 0.05, lossRate: 0 },
    { duplicateRate: 0.3, crashRate: 0.1, lossRate: 0.05 },
    { duplicateRate: 0.5, crashRate: 0.2, lossRate: 0.2 },
  ];
  const cases = RATES.flatMap((rates) => [1, 2, 3, 4].map((seed) => [rates, seed] as const));

  it.each(cases)('%o, seed %i: exact after at most three resumes', async (rates, seed) => {
    // Prepare
    const { system, expected } = await aSystemWithSubscribers();
    const random = seededRandom(seed);
    const { runId } = await system.handlers.startCrawl({});

    // Act: the run under faults; then resumes (their work under the same duplicates and crashes, nothing lost).
    await system.drain({ ...rates, random });
    let summary = await system.summary(runId);
    for (let round = 0; round < 3 && !summary.complete; round++) {
      await system.container.get(ResumeRun).execute(runId);
      await system.drain({ ...rates, lossRate: 0, random });
      summary = await system.summary(runId);
    }

    // Assess
    expectExact(system, summary, expected);
  });
});

describe('loss and resume, as a property', () => {
  it('rebuilds the lost parts of fan-out pages of subscribers an import packed, whose pages are not in id order', async () => {
    // Prepare: 130 subscribers of a feed the import creates, in 4 packs, read in pages of 50 cut in parts of 5.
    const system = new MemorySystem({ settings: { ...SMALL, subscriberPageSize: 50, recipientsPerDelivery: 5 } });
    const { fetcher, clock, subscriptions, queues } = system.adapters;
    const url = feedUrl(1);
    const imported = await system.container.get(Subscribe).execute(
      Array.from({ length: 130 }, (_, n) => {
        const { sink, secret } = aSubscription(url, n);
        return { feedUrl: url, sink, secret };
      }),
    );
    fetcher.publish(url, aDocument([anItem(1), anItem(2)]));
    clock.advance(1);
    const order = (await subscriptions.readPage(feedIdFor(url), 0, undefined, 1000)).items.map((s) => s.id);
    const { runId } = await system.handlers.startCrawl({});

    // Act: every other deliver message is lost; then a resume, and the queues are drained.
    let delivers = 0;
    const handlers = system.queueHandlers;
    await queues.drain({
      ...handlers,
      deliver: async (records) => handlers.deliver!(records.filter(() => delivers++ % 2 === 0)),
    });
    const before = await system.summary(runId);
    const after = await resumeAndDrain(system, runId);

    // Assess: every subscriber heard of both articles once, under one webhook-id.
    expect(order).not.toEqual([...order].sort());
    expect(before.notifications.delivered).toBeLessThan(100);
    expect(after).toMatchObject({ notifications: { delivered: 130, failed: 0, pending: 0 }, complete: true });
    const bySubscription = received(system);
    expect(new Set(bySubscription.keys())).toEqual(new Set(imported.subscriptions.map((s) => s.id)));
    for (const entry of bySubscription.values()) {
      expect(entry.ids.size).toBe(1);
      expect(new Set(entry.articles).size).toBe(2);
    }
    expect(system.adapters.sink.received).toHaveLength(130);
  });

  it('whatever share of messages is lost, and however often the resumed work is lost again, resumes end it exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        async (seed, lossRate, lossAfterResume) => {
          // Prepare
          const { system, expected } = await aSystemWithSubscribers();
          const random = seededRandom(seed);
          const { runId } = await system.handlers.startCrawl({});

          // Act: resumes until the run is complete; the first few lose messages too.
          await system.drain({ lossRate, duplicateRate: 0.2, random });
          let summary = await system.summary(runId);
          for (let round = 0; !summary.complete; round++) {
            if (round > 10) throw new Error('ten resumes did not complete the run');
            await system.container.get(ResumeRun).execute(runId);
            await system.drain({ lossRate: round < 3 ? lossAfterResume : 0, duplicateRate: 0.2, random });
            summary = await system.summary(runId);
          }

          // Assess
          expectExact(system, summary, expected);
        },
      ),
      { numRuns: 25 },
    );
  });
});
