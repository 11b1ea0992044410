import { describe, expect, it } from '@jest/globals';
import { CPU_MS, vcpuOf } from '../../bench/cpu-model.js';
import { chargeCpu, SimulatedAws, ThroughputLimiter } from '../../bench/scale-model/aws-model.js';
import { LambdaPlatform, type EnvironmentHandler } from '../../bench/scale-model/lambda-platform.js';
import { QUEUES, type QueueDefinition } from '../../src/adapters/aws-resources.js';
import { parallelism, runScenario } from '../../bench/scale-model/scenario.js';
import {
  feedIdAt,
  Progress,
  SyntheticFeedFetcher,
  SyntheticFeedTable,
} from '../../bench/scale-model/synthetic-adapters.js';
import { relaySettings } from '../../src/application/settings.js';
import { VirtualTime } from '../../bench/scale-model/virtual-time.js';

const model = { concurrency: 1000, seed: 7, maxSimulated: 0 };

/** Feeds the synthetic web says changed, among feeds `from` (inclusive) to `to` (exclusive). */
function changedIn(from: number, to: number): number {
  const time = new VirtualTime();
  const fetcher = new SyntheticFeedFetcher(
    time,
    Math.random,
    { changedShare: 0.05, newItems: 5, medianMs: 300, p99Ms: 3000, timeoutMs: 10_000 },
    new Progress(to, time),
  );
  return Array.from({ length: to - from }, (_, i) => from + i).filter((i) => fetcher.changed(i)).length;
}

describe('VirtualTime', () => {
  it('wakes sleepers in virtual-time order without waiting in real time', async () => {
    const time = new VirtualTime();
    const woke: string[] = [];
    const sleeper = async (name: string, ms: number) => {
      await time.sleep(ms);
      woke.push(`${name}@${time.now}`);
      await time.sleep(ms);
      woke.push(`${name}@${time.now}`);
    };
    const all = Promise.all([sleeper('slow', 3000), sleeper('fast', 1000)]);
    await time.run();
    await all;

    expect(woke).toEqual(['fast@1000', 'fast@2000', 'slow@3000', 'slow@6000']);
  });
});

describe('ThroughputLimiter', () => {
  it('makes requests over a partition rate wait their turn after one second of burst', () => {
    const limiter = new ThroughputLimiter(1000);

    const waits = Array.from({ length: 3000 }, () => limiter.reserve('runs/run-1', 1, 0));

    expect(waits[999]).toBe(0);
    expect(waits[2999]).toBeCloseTo(1999, 6);
    expect(limiter.reserve('runs/run-2', 1, 0)).toBe(0);
  });

  it('throttles a hot key in the simulated DynamoDB and counts the throttled requests', async () => {
    const time = new VirtualTime();
    const aws = new SimulatedAws(time);

    const writes = Promise.all(
      Array.from({ length: 2000 }, () =>
        aws.dynamodb({ table: 'runs', operation: 'PutItem', partition: 'r', writeUnits: 1 }),
      ),
    );
    await time.run();
    await writes;

    expect(aws.meter.requests.get('dynamodb.PutItem')).toBe(2000);
    expect(aws.meter.throttled).toBe(999);
    expect(time.now).toBeGreaterThanOrEqual(1000);
  });
});

describe('LambdaPlatform', () => {
  /** One queue with `definition`, whose handler takes `handlerMs` of virtual time; what each invocation got. */
  function platformWith(definition: QueueDefinition, handlerMs: number, pollers = { atStart: 5, rampPerMinute: 300 }) {
    const time = new VirtualTime();
    const invocations: { at: number; records: number; environment: number }[] = [];
    const handler: EnvironmentHandler = async (event, environment) => {
      invocations.push({ at: time.now, records: event.Records.length, environment });
      await time.sleep(handlerMs);
      return { batchItemFailures: [] };
    };
    const platform = new LambdaPlatform(
      time,
      new SimulatedAws(time),
      [{ key: 'q', queue: definition, handler }],
      1000,
      pollers,
    );
    return { time, platform, invocations };
  }

  it('hands a partial batch over once its batching window has passed, a full one at once', async () => {
    const { time, platform, invocations } = platformWith({ ...QUEUES.deliver, batchSize: 20 }, 10);

    for (let i = 0; i < 5; i++) platform.send(QUEUES.deliver.name, `{"n":${i}}`);
    await time.run();
    for (let i = 0; i < 20; i++) platform.send(QUEUES.deliver.name, `{"n":${i}}`);
    const fullSentAt = time.now;
    await time.run();

    expect(QUEUES.deliver.maxBatchingWindowSeconds).toBe(1);
    // The partial batch: after the 1 s window, a cold start and the poll-to-invoke.
    expect(invocations[0]).toEqual({ at: 1000 + 300 + 20, records: 5, environment: 1 });
    // The full batch: at once, in the warm environment.
    expect(invocations[1]).toEqual({ at: fullSentAt + 20, records: 20, environment: 1 });
  });

  it('holds an event source to its maximum concurrency, however far the pollers have ramped', async () => {
    const { time, platform, invocations } = platformWith({ ...QUEUES.scanFeeds, maxConcurrency: 3 }, 100, {
      atStart: 50,
      rampPerMinute: 300,
    });

    for (let i = 0; i < 30; i++) platform.send(QUEUES.scanFeeds.name, `{"n":${i}}`);
    await time.run();

    expect(invocations).toHaveLength(30);
    expect(platform.peakRunning).toBe(3);
    expect(new Set(invocations.map((i) => i.environment))).toEqual(new Set([1, 2, 3]));
  });

  it('makes an invocation last at least its CPU at the function’s share of a vCPU, and bills it so', async () => {
    // Prepare: a function of half a vCPU whose handler waits 100 ms and spends 500 ms of CPU (250 fetches).
    const time = new VirtualTime();
    const handler: EnvironmentHandler = async () => {
      for (let i = 0; i < 250; i++) chargeCpu(CPU_MS.httpsRequest);
      await time.sleep(100);
      return { batchItemFailures: [] };
    };
    const halfVcpu = { ...QUEUES.scanFeeds, memoryMb: 1769 / 2, maxBatchingWindowSeconds: 0 };
    const platform = new LambdaPlatform(time, new SimulatedAws(time), [{ key: 'q', queue: halfVcpu, handler }], 10, {
      atStart: 5,
      rampPerMinute: 300,
    });

    // Act
    platform.send(halfVcpu.name, '{}');
    chargeCpu(1_000_000); // outside an invocation: charged to none
    await time.run();

    // Assess: 500 ms of CPU at 0.5 vCPU is 1 s, not the 100 ms waited; billed with the cold start (300 ms).
    expect(vcpuOf(1769)).toBe(1);
    expect(vcpuOf(3538)).toBe(1);
    expect(time.now).toBe(300 + 20 + 1000);
    expect(platform.usage().gbSeconds).toBeCloseTo((1769 / 2 / 1024) * 1.3, 6);
    expect(platform.stats()[0]).toMatchObject({ cpuSeconds: 0.5, cpuBound: 1 });
  });

  it('keeps a batch within Lambda’s 6 MB payload, fewer messages when they are large', async () => {
    const { time, platform, invocations } = platformWith({ ...QUEUES.fetchFeed, maxConcurrency: 2 }, 10);
    const large = JSON.stringify({ pad: 'x'.repeat(250 * 1024) });

    for (let i = 0; i < 40; i++) platform.send(QUEUES.fetchFeed.name, large);
    await time.run();

    // 24 messages of 250 KiB fit in 6 MiB; the other 16 go to a second invocation.
    expect(invocations.map((i) => i.records)).toEqual([24, 16]);
  });
});

describe('SyntheticFeedTable', () => {
  it('pages through every feed once, from cursor positions alone', async () => {
    const table = new SyntheticFeedTable(250, Date.parse('2026-01-01T00:00:00Z'));
    const seen: string[] = [];
    let page = await table.readPage(undefined, 100);
    seen.push(...page.items.map((f) => f.id));
    while (page.next) {
      page = await table.readPage(page.next, 100);
      seen.push(...page.items.map((f) => f.id));
    }

    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
  });

  it('splits the feeds over disjoint scan segments', async () => {
    const table = new SyntheticFeedTable(1000, Date.parse('2026-01-01T00:00:00Z'));
    const seen: string[] = [];
    for (let segment = 0; segment < 3; segment++) {
      let page = await table.readPage(undefined, 100, { segment, segments: 3 });
      seen.push(...page.items.map((f) => f.id));
      while (page.next) {
        page = await table.readPage(page.next, 100, { segment, segments: 3 });
        seen.push(...page.items.map((f) => f.id));
      }
    }

    expect(new Set(seen).size).toBe(1000);
    expect(seen).toHaveLength(1000);
  });

  it('commits a feed once at the version the scan read', async () => {
    const table = new SyntheticFeedTable(10, Date.parse('2026-01-01T00:00:00Z'));
    const feed = (await table.get(feedIdAt(3)))!;
    const update = { url: feed.url, nextFetchAt: feed.nextFetchAt, status: 'active', errorCount: 0 } as const;

    expect(await table.commit(feed.id, feed.version, update)).toEqual({ subscriberShards: 1 });
    expect(await table.commit(feed.id, feed.version, update)).toBe('conflict');
    expect((await table.get(feed.id))?.version).toBe(1);
  });
});

describe('parallelism', () => {
  it('derives S from the feed count and K by doubling, as the application does', () => {
    const settings = relaySettings();

    expect(parallelism(settings, 1_000_000, 0)).toEqual({ segments: 100, shards: 1 });
    expect(parallelism(settings, 10_000_000, 0).segments).toBe(1000);
    expect(parallelism(settings, 1, 12_500_000).shards).toBe(128);
    expect(parallelism(settings, 1, 50_000_000).shards).toBe(512);
    expect(parallelism(relaySettings({ scanSegments: 7 }), 10_000_000, 0).segments).toBe(7);
  });
});

describe('the scale model', () => {
  it('crawls 1,000 feeds with the real handlers: every feed fetched once, the summary exact', async () => {
    const result = await runScenario({ name: 'crawl-1k', kind: 'crawl', items: 1000 }, model);

    const changed = changedIn(0, 1000);
    expect(result.extrapolated).toBe(false);
    expect(result.everyItemOnce).toBe(true);
    expect(result.segments).toBe(1);
    expect(result.summary).toMatchObject({
      feeds: 1000,
      fetched: changed,
      notModified: 1000 - changed,
      failed: 0,
      newArticles: changed * 5,
      scanComplete: true,
      complete: true,
    });
    expect(result.requests).toEqual({
      // The count that sizes the scan, the active run's lock and whether each of the 40 fetch messages is done
      // already; the new run and its entry in the list of runs, and one discovery per changed feed.
      'dynamodb.DescribeTable': 1,
      'dynamodb.GetItem': 1 + 40,
      'dynamodb.PutItem': 2 + changed,
      // The list of the latest runs, which the start looks after.
      'dynamodb.Query': 1,
      // Four full pages of 250, then the empty page after the last key.
      'dynamodb.Scan': 5,
      // The run's lock; claim and completion of 5 scan pages; the record of 40 fetch messages (not claimed); one
      // commit per changed feed (a 304 writes nothing).
      'dynamodb.UpdateItem': 1 + 2 * 5 + 40 + changed,
      // Nobody follows these feeds: what they find is stored, and announced to no one (no event, no fan-out).
      // The first scan step; then each full page: its 10 fetch messages, and the relay.
      'sqs.SendMessageBatch': 1 + 2 * 4,
      'sqs.ReceiveMessage': expect.any(Number),
      'sqs.DeleteMessageBatch': expect.any(Number),
    });
    expect(result.functions.find((f) => f.key === 'fetchFeed')?.messages).toBe(40);
    expect(result.functions.find((f) => f.key === 'startFanOut')?.messages ?? 0).toBe(0);
    expect(result.seconds).toBeGreaterThan(0);
  });

  it('accounts for every feed once when some feed servers time out: each timeout is a failed fetch', async () => {
    const result = await runScenario(
      { name: 'crawl-1k-timeouts', kind: 'crawl', items: 1000 },
      { ...model, feedTimeoutMs: 1000 },
    );

    const { fetched, notModified, failed } = result.summary as { fetched: number; notModified: number; failed: number };
    expect(failed).toBeGreaterThan(10);
    expect(fetched + notModified + failed).toBe(1000);
    expect(result.everyItemOnce).toBe(true);
  });

  it('scans S segments in parallel relays, each to its own empty last page', async () => {
    const result = await runScenario(
      { name: 'crawl-1k-s4', kind: 'crawl', items: 1000 },
      { ...model, settings: { feedsPerSegment: 250 } },
    );

    expect(result.segments).toBe(4);
    expect(result.everyItemOnce).toBe(true);
    expect(result.summary).toMatchObject({ feeds: 1000, failed: 0, complete: true });
    // Each segment: one full page of 250, then an empty one.
    expect(result.requests['dynamodb.Scan']).toBe(8);
    expect(result.functions.find((f) => f.key === 'scanFeeds')?.messages).toBe(8);
    expect(result.functions.find((f) => f.key === 'fetchFeed')?.messages).toBe(40);
  });

  it('fans one article out to 10 subscribers: every subscriber delivered once, by start-fan-out itself', async () => {
    const result = await runScenario({ name: 'fanout-10', kind: 'fanout', items: 10 }, model);

    expect(result.everyItemOnce).toBe(true);
    expect(result.shards).toBe(1);
    expect(result.summary).toMatchObject({
      feeds: 1,
      fetched: 1,
      newArticles: 1,
      notifications: { delivered: 10, failed: 0, pending: 0 },
      complete: true,
    });
    expect(result.requests['eventbridge.PutEvents']).toBe(1);
    // Three Queries: the start's list of the latest runs; start-fan-out scans the one shard's first page itself
    // (no scan-subscribers message), and, that page's 10 recipients being a lone part, delivers them itself
    // (no deliver message), reading the discovery's articles once.
    expect(result.requests['dynamodb.Query']).toBe(3);
    expect(result.functions.find((f) => f.key === 'scanSubscribers')?.messages).toBe(0);
    expect(result.functions.find((f) => f.key === 'deliver')?.messages).toBe(0);
  });

  it('fans out over K shards: one relay per shard, each shard’s lone page delivering its recipients itself', async () => {
    const result = await runScenario(
      { name: 'fanout-1k', kind: 'fanout', items: 1000 },
      { ...model, settings: { subscribersPerShard: 100 } },
    );

    // 1,000 subscribers over at most K × 100: K doubles from 1 to 16.
    expect(result.shards).toBe(16);
    expect(result.everyItemOnce).toBe(true);
    expect(result.summary).toMatchObject({ notifications: { delivered: 1000, failed: 0, pending: 0 } });
    // More shards than start-fan-out scans inline: 16 first steps as messages, each shard one page of 62 or 63.
    expect(result.functions.find((f) => f.key === 'scanSubscribers')?.messages).toBe(16);
    // The start's list of runs; per shard: its page, and its delivery's one read of the discovery's articles.
    expect(result.requests['dynamodb.Query']).toBe(1 + 16 + 16);
    // Each shard's one page is a lone part, delivered by its scan-subscribers invocation: no deliver message.
    expect(result.functions.find((f) => f.key === 'deliver')?.messages).toBe(0);
  });

  it('bounds each execution environment’s fetches on its own: one invocation of 1,000 feeds, one at a time', async () => {
    const oneAtATime = await runScenario(
      { name: 'crawl-1k-serial', kind: 'crawl', items: 1000 },
      { ...model, settings: { fetchConcurrency: 1 } },
    );
    const deployed = await runScenario({ name: 'crawl-1k', kind: 'crawl', items: 1000 }, model);

    // 40 messages of 25 feeds: one batch, one invocation, in one environment.
    expect(oneAtATime.functions.find((f) => f.key === 'fetchFeed')?.invocations).toBe(1);
    expect(oneAtATime.everyItemOnce).toBe(true);
    // 1,000 fetches one after another (median 300 ms each) against 200 at a time.
    expect(oneAtATime.seconds).toBeGreaterThan(300);
    expect(deployed.seconds).toBeLessThan(30);
  });

  it('extrapolates a larger scenario along the line through a one-item run and the simulated run', async () => {
    const result = await runScenario(
      { name: 'crawl-2k', kind: 'crawl', items: 2000 },
      { ...model, maxSimulated: 1000 },
    );

    expect(result.extrapolated).toBe(true);
    expect(result.simulatedItems).toBe(1000);
    // The fixed part stays fixed: one DescribeTable sizes the scan whatever the table holds.
    expect(result.requests['dynamodb.DescribeTable']).toBe(1);
    // 80 fetch-message steps and 10 scan-page steps claimed and completed at 2,000 feeds, plus the run's lock.
    expect(result.requests['dynamodb.UpdateItem']).toBeGreaterThan(1 + 2 * 80 + 2 * 8);
    expect(result.requests['dynamodb.Scan']).toBeLessThan(25);
    expect(result.curve[result.curve.length - 1]).toEqual([result.seconds, 1, expect.any(Number)]);
  });
});
