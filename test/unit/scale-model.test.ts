import { describe, expect, it } from '@jest/globals';
import { SimulatedAws, ThroughputLimiter } from '../../bench/scale-model/aws-model.js';
import { runScenario } from '../../bench/scale-model/scenario.js';
import { Progress, SyntheticFeedFetcher, SyntheticFeedTable } from '../../bench/scale-model/synthetic-adapters.js';
import { VirtualTime } from '../../bench/scale-model/virtual-time.js';

const model = { concurrency: 1000, seed: 7, maxSimulated: 0 };

/** Feeds the synthetic web says changed, among the first `count`. */
function changedFeeds(count: number): number {
  const time = new VirtualTime();
  const fetcher = new SyntheticFeedFetcher(
    time,
    Math.random,
    { changedShare: 0.05, newItems: 5, medianMs: 300, p99Ms: 3000, timeoutMs: 10_000 },
    new Progress(count, time),
  );
  return Array.from({ length: count }, (_, i) => i).filter((i) => fetcher.changed(i)).length;
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
});

describe('the scale model', () => {
  it('crawls 1,000 feeds with the real handlers: every feed fetched once, the summary exact', async () => {
    const result = await runScenario({ name: 'crawl-1k', kind: 'crawl', items: 1000 }, model);

    const changed = changedFeeds(1000);
    expect(result.extrapolated).toBe(false);
    expect(result.everyItemOnce).toBe(true);
    expect(result.summary).toMatchObject({
      feeds: 1000,
      fetched: changed,
      notModified: 1000 - changed,
      failed: 0,
      newArticles: changed * 5,
      scanComplete: true,
      complete: true,
    });
    expect(result.requests['dynamodb.GetItem']).toBe(1000);
    // Ten full pages of 100, then the empty page after the last key.
    expect(result.requests['dynamodb.Scan']).toBe(11);
    expect(result.requests['eventbridge.PutEvents']).toBe(changed);
    expect(result.functions.find((f) => f.key === 'fetchFeed')?.messages).toBe(1000);
    expect(result.seconds).toBeGreaterThan(0);
  });

  it('fans one article out to 10 subscribers: every subscriber delivered once', async () => {
    const result = await runScenario({ name: 'fanout-10', kind: 'fanout', items: 10 }, model);

    expect(result.everyItemOnce).toBe(true);
    expect(result.summary).toMatchObject({
      feeds: 1,
      fetched: 1,
      newArticles: 1,
      notifications: { delivered: 10, failed: 0, pending: 0 },
      complete: true,
    });
    expect(result.requests['eventbridge.PutEvents']).toBe(1);
    expect(result.functions.find((f) => f.key === 'deliver')?.messages).toBe(10);
  });

  it('extrapolates a larger scenario along the line through a one-item run and the simulated run', async () => {
    const result = await runScenario(
      { name: 'crawl-2k', kind: 'crawl', items: 2000 },
      { ...model, maxSimulated: 1000 },
    );

    expect(result.extrapolated).toBe(true);
    expect(result.simulatedItems).toBe(1000);
    // One GetItem per feed; the run's single Scan of its last, empty page is not multiplied.
    expect(result.requests['dynamodb.GetItem']).toBe(2000);
    expect(result.requests['dynamodb.Scan']).toBeLessThan(25);
    expect(result.curve[result.curve.length - 1]).toEqual([result.seconds, 1, expect.any(Number)]);
  });
});
