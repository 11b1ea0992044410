import { InMemoryRunStore } from '../../src/adapters/memory/in-memory-run-store.js';
import { ContainerModule } from 'inversify';
import { pino } from 'pino';
import { QUEUES } from '../../src/adapters/aws-resources.js';
import { SequentialIdGenerator } from '../../test/support/memory/fixed-clock.js';
import { segmentsFor, type RelaySettings } from '../../src/application/settings.js';
import { TOKENS } from '../../src/application/tokens.js';
import { SummarizeRun } from '../../src/application/use-cases/summarize-run.js';
import type { CrawlRunSummary } from '../../src/domain/crawl-run.js';
import { grownShardCount } from '../../src/domain/subscription.js';
import { applicationModule } from '../../src/entrypoints/container/application.module.js';
import { compose } from '../../src/entrypoints/container/compose.js';
import { createHandlers, type Handlers, type SqsHandler } from '../../src/entrypoints/lambda/handlers.js';
import { lambdaRelaySettings } from '../../src/entrypoints/lambda/lambda-settings.js';
import { PRICES, SimulatedAws } from './aws-model.js';
import { LambdaPlatform, type FunctionStats, type PollerScaling } from './lambda-platform.js';
import {
  MeteredArticleStore,
  MeteredFeedStore,
  MeteredRunStore,
  MeteredStepLedger,
  MeteredSubscriptions,
  SimulatedEventBus,
  SimulatedWorkDispatcher,
} from './metered-adapters.js';
import {
  CompactStepLedger,
  Progress,
  SyntheticArticleStore,
  SyntheticFeedFetcher,
  SyntheticFeedTable,
  SyntheticSubscriptionTable,
  SyntheticWebhookSink,
  VirtualClock,
} from './synthetic-adapters.js';
import { seededRandom, VirtualTime } from './virtual-time.js';

export type ScenarioKind = 'crawl' | 'fanout';

export interface ScenarioSpec {
  readonly name: string;
  readonly kind: ScenarioKind;
  /** Feeds to crawl, or subscribers of the one feed to reach. */
  readonly items: number;
}

export const SCENARIOS: readonly ScenarioSpec[] = [
  { name: 'crawl-1m', kind: 'crawl', items: 1_000_000 },
  { name: 'crawl-10m', kind: 'crawl', items: 10_000_000 },
  { name: 'fanout-12.5m', kind: 'fanout', items: 12_500_000 },
  { name: 'fanout-50m', kind: 'fanout', items: 50_000_000 },
];

export interface ModelOptions {
  /** Account concurrency (each event source is also held to its own maximum concurrency, from `QUEUES`). */
  readonly concurrency: number;
  readonly seed: number;
  /** Simulate at most this many items; a larger scenario is simulated at this size and extrapolated. */
  readonly maxSimulated: number;
  /** Relay settings over the deployed ones (`lambdaRelaySettings`: the Lambda defaults). */
  readonly settings?: Partial<RelaySettings>;
  /** The event sources' scaling; default standard mode (5 concurrent batches, +300 a minute). */
  readonly pollers?: PollerScaling;
  /** Share of feeds that changed since the last crawl; default 5 %. */
  readonly changedShare?: number;
  /** New items in a changed feed; default 5. */
  readonly newItems?: number;
  /** The fetcher's time-out: a feed server answering later fails the fetch; default 10 s. */
  readonly feedTimeoutMs?: number;
}

export interface Costs {
  readonly dynamodb: number;
  readonly sqs: number;
  readonly lambda: number;
  readonly eventbridge: number;
  readonly total: number;
}

export interface ScenarioResult {
  readonly name: string;
  readonly kind: ScenarioKind;
  readonly items: number;
  readonly simulatedItems: number;
  /** The figures below are for `items`; when `items > simulatedItems`, time and counts are extrapolated. */
  readonly extrapolated: boolean;
  /** Virtual seconds from the start (the schedule, or the discovery) until the last item was done. */
  readonly seconds: number;
  /** Simulated part only: virtual seconds until the last invocation ended. */
  readonly simulatedSeconds: number;
  /** Items a second in the steady middle of the simulated run (25 % to 75 % done). */
  readonly steadyRate: number;
  /** Scan segments S of the full scenario, and of its simulated part (derived from the simulated table's size). */
  readonly segments: number;
  readonly simulatedSegments: number;
  /** Subscriber shards K of the fan-out's feed (the simulation keeps the full scenario's K). */
  readonly shards: number;
  readonly lambdaInvocations: number;
  readonly gbSeconds: number;
  readonly peakConcurrency: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly throttledRequests: number;
  readonly cost: Costs;
  /** Simulated part: every item done exactly once. */
  readonly everyItemOnce: boolean;
  readonly functions: readonly FunctionStats[];
  /** The run's summary as `SummarizeRun` computes it (simulated part). */
  readonly summary: CrawlRunSummary;
  /** (virtual seconds, share done 0…1, concurrency) of the simulated part, scaled to `items` when extrapolated. */
  readonly curve: readonly [number, number, number][];
  readonly wallSeconds: number;
}

/** Memory of the start-crawl function, which consumes no queue (the CDK app's default). */
const START_CRAWL_MEMORY_MB = 512;

/**
 * The scan segments S of a crawl of `feeds` feeds and the subscriber shards K of a feed of `subscribers`
 * subscribers, as the application derives them: S from the settings (`scanSegments`, or one segment per
 * `feedsPerSegment` feeds of the table's approximate count, at most `maxScanSegments`), K by doubling from 1
 * while the subscribers exceed K × `subscribersPerShard` (`grownShardCount`, as `addSubscribers` grows it).
 */
export function parallelism(
  settings: RelaySettings,
  feeds: number,
  subscribers: number,
): { segments: number; shards: number } {
  return {
    segments: segmentsFor(settings, feeds),
    shards: grownShardCount(1, subscribers, settings.subscribersPerShard),
  };
}

/** Requests and usage counted up to one instant, with the items done by then. */
interface Tally {
  readonly done: number;
  readonly requests: ReadonlyMap<string, number>;
  readonly usage: Usage;
  readonly throttled: number;
}

/** What one simulation measured, before any extrapolation. */
interface Simulation extends Tally {
  readonly items: number;
  /** The tallies at 25 % and 75 % done: what one more item costs once the run is in its stride. */
  readonly steady?: readonly [Tally, Tally];
  /** Virtual seconds from the start to the last item done, and to the last invocation's end. */
  readonly lastItemSeconds: number;
  readonly drainedSeconds: number;
  readonly steadyRate: number;
  readonly peakConcurrency: number;
  readonly everyItemOnce: boolean;
  readonly functions: readonly FunctionStats[];
  readonly summary: CrawlRunSummary;
  readonly samples: readonly [number, number, number][];
}

interface Usage {
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly sqsRequests: number;
  readonly lambdaInvocations: number;
  readonly gbSeconds: number;
  readonly eventBridgeEvents: number;
}

/**
 * Runs one scenario with the real handlers and use cases on the simulated AWS (see run.ts for the model).
 * A scenario over `maxSimulated` items is simulated at that size and extrapolated: requests, units and
 * invocations along the line through a one-item run and the simulated run; GB-seconds at what one item added
 * between 25 % and 75 % done; time by the remaining items at the steady rate of that stretch.
 */
export async function runScenario(spec: ScenarioSpec, options: ModelOptions): Promise<ScenarioResult> {
  const wallStart = performance.now();
  const simulated = Math.min(spec.items, options.maxSimulated > 0 ? options.maxSimulated : spec.items);
  const settings = lambdaRelaySettings(options.settings);
  // S and K of the full scenario. The simulation keeps K (shards follow the feed's full subscriber count, so
  // a smaller simulation keeps the fan-out's full parallelism) but derives S from the simulated table, as
  // start-crawl does from DescribeTable: a smaller simulation keeps the length of each segment's relay.
  const { segments, shards } = parallelism(
    settings,
    spec.kind === 'crawl' ? spec.items : 1,
    spec.kind === 'fanout' ? spec.items : 0,
  );
  const simulatedSegments = parallelism(settings, spec.kind === 'crawl' ? simulated : 1, 0).segments;
  const main = await simulate(spec.kind, simulated, shards, options);
  const extrapolated = spec.items > simulated;
  // Counts grow with the items along the line through a one-item run (the fixed part) and the simulated run.
  const base = extrapolated ? await simulate(spec.kind, 1, shards, options) : main;
  const along = (final: number, fixed: number): number =>
    extrapolated ? fixed + ((final - fixed) * (spec.items - 1)) / (main.items - 1) : final;
  const names = [...main.requests.keys()].sort();
  const requests = Object.fromEntries(
    names.map((name) => [name, Math.round(along(main.requests.get(name)!, base.requests.get(name) ?? 0))]),
  );
  const usage = Object.fromEntries(
    (Object.keys(main.usage) as (keyof Usage)[]).map((key) => [key, along(main.usage[key], base.usage[key])]),
  ) as unknown as Usage;
  // GB-seconds follow time and concurrency rather than items: each remaining item adds what one item added
  // while the simulated run was in its stride (25 % to 75 % done).
  const [from, to] = main.steady ?? [base, main];
  if (extrapolated) {
    const perItem = (to.usage.gbSeconds - from.usage.gbSeconds) / Math.max(1, to.done - from.done);
    Object.assign(usage, { gbSeconds: main.usage.gbSeconds + perItem * (spec.items - main.items) });
  }
  const seconds = extrapolated
    ? main.lastItemSeconds + (spec.items - main.items) / main.steadyRate
    : main.lastItemSeconds;
  const curve: [number, number, number][] = main.samples.map(([t, done, running]) => [t, done / spec.items, running]);
  if (extrapolated) curve.push([seconds, 1, curve[curve.length - 1]?.[2] ?? 0]);
  return {
    name: spec.name,
    kind: spec.kind,
    items: spec.items,
    simulatedItems: simulated,
    extrapolated,
    seconds,
    simulatedSeconds: main.drainedSeconds,
    steadyRate: main.steadyRate,
    segments,
    simulatedSegments,
    shards,
    lambdaInvocations: Math.round(usage.lambdaInvocations),
    gbSeconds: usage.gbSeconds,
    peakConcurrency: main.peakConcurrency,
    requests,
    readUnits: usage.readUnits,
    writeUnits: usage.writeUnits,
    throttledRequests: Math.round(along(main.throttled, base.throttled)),
    cost: costOf(usage),
    everyItemOnce: main.everyItemOnce && base.everyItemOnce,
    functions: main.functions,
    summary: main.summary,
    curve,
    wallSeconds: (performance.now() - wallStart) / 1000,
  };
}

/** One simulation of `items` feeds (crawl) or subscribers of one feed (fan-out), to the end. */
async function simulate(kind: ScenarioKind, items: number, shards: number, options: ModelOptions): Promise<Simulation> {
  const time = new VirtualTime();
  const random = seededRandom(options.seed);
  const aws = new SimulatedAws(time);
  const subscribers = kind === 'fanout' ? items : 0;
  const feeds = new SyntheticFeedTable(
    kind === 'crawl' ? items : 1,
    time.epoch,
    // A crawl's feeds have no subscribers (their discoveries go nowhere); the fan-out feed has them all.
    kind === 'fanout' ? { subscribers, subscriberShards: shards } : { subscribers: 0 },
  );
  const subscriptions = new SyntheticSubscriptionTable(subscribers, time.epoch, shards);
  const fetched = new Progress(feeds.count, time);
  const delivered = new Progress(subscribers, time);
  const progress = kind === 'crawl' ? fetched : delivered;
  const fetcher = new SyntheticFeedFetcher(
    time,
    random,
    {
      changedShare: kind === 'crawl' ? (options.changedShare ?? 0.05) : 1,
      newItems: kind === 'crawl' ? (options.newItems ?? 5) : 1,
      medianMs: 300,
      p99Ms: 3000,
      timeoutMs: options.feedTimeoutMs ?? 10_000,
    },
    fetched,
  );
  const sink = new SyntheticWebhookSink(time, random, { medianMs: 200, p99Ms: 2000 }, delivered);

  // The platform needs the handlers and the dispatcher needs the platform: the handlers are made late, one
  // set per execution environment (a cold start composes its own container, as a Lambda does).
  const environments = new Map<string, Handlers>();
  const specs = Object.entries(QUEUES).map(([key, queue]) => ({
    key,
    queue,
    handler: (event: Parameters<SqsHandler>[0], environment: number) => {
      let handlers = environments.get(`${key}/${environment}`);
      if (!handlers) environments.set(`${key}/${environment}`, (handlers = newEnvironment()));
      const handler = (handlers as unknown as Record<string, SqsHandler | undefined>)[key];
      if (!handler) throw new Error(`the handlers have no function for queue ${key}`);
      return handler(event);
    },
  }));
  const platform = new LambdaPlatform(time, aws, specs, options.concurrency, options.pollers);
  progress.concurrency = () => platform.concurrency;
  const tally = (): Tally => {
    const lambda = platform.usage();
    return {
      done: progress.done,
      requests: new Map(aws.meter.requests),
      usage: {
        readUnits: aws.meter.readUnits,
        writeUnits: aws.meter.writeUnits,
        sqsRequests: aws.meter.total('sqs'),
        // The start-crawl invocation: one request and about 50 ms.
        lambdaInvocations: lambda.invocations + 1,
        gbSeconds: lambda.gbSeconds + (START_CRAWL_MEMORY_MB / 1024) * 0.05,
        eventBridgeEvents: aws.meter.eventBridgeEvents,
      },
      throttled: aws.meter.throttled,
    };
  };
  const checkpoints: Tally[] = [];
  progress.onCheckpoint = () => checkpoints.push(tally());
  const bus = new SimulatedEventBus(platform, aws, () => time.now);

  const feedStore = new MeteredFeedStore(feeds, aws);
  const subscriptionStore = new MeteredSubscriptions(subscriptions, aws);
  // The tables, queues, the bus and the web: one of each, shared by every execution environment.
  const shared = {
    articles: new MeteredArticleStore(new SyntheticArticleStore(), aws),
    steps: new MeteredStepLedger(new CompactStepLedger(), aws),
    runs: new MeteredRunStore(new InMemoryRunStore(), aws),
    work: new SimulatedWorkDispatcher(platform, aws),
    clock: new VirtualClock(time),
    ids: new SequentialIdGenerator(),
  };
  const modelModule = new ContainerModule(({ bind }) => {
    bind(TOKENS.FeedRepository).toConstantValue(feedStore);
    bind(TOKENS.FeedPageReader).toConstantValue(feedStore);
    bind(TOKENS.SubscriptionRepository).toConstantValue(subscriptionStore);
    bind(TOKENS.SubscriberPageReader).toConstantValue(subscriptionStore);
    bind(TOKENS.ArticleStore).toConstantValue(shared.articles);
    bind(TOKENS.StepLedger).toConstantValue(shared.steps);
    bind(TOKENS.RunStore).toConstantValue(shared.runs);
    bind(TOKENS.WorkDispatcher).toConstantValue(shared.work);
    bind(TOKENS.EventPublisher).toConstantValue(bus);
    bind(TOKENS.FeedFetcher).toConstantValue(fetcher);
    bind(TOKENS.NotificationSink).toConstantValue(sink);
    bind(TOKENS.Clock).toConstantValue(shared.clock);
    bind(TOKENS.IdGenerator).toConstantValue(shared.ids);
  });
  // Each execution environment has its own container under the deployed settings, as in Lambda: what it
  // keeps between invocations (the bound on its own fetches, `fetchConcurrency`) is its own; the tables,
  // queues and the web are shared.
  const settings = lambdaRelaySettings(options.settings);
  const logger = pino({ level: 'silent' });
  const newContainer = () => compose(applicationModule(settings), modelModule);
  const newEnvironment = () => createHandlers(newContainer(), logger);
  const container = newContainer();
  const handlers = createHandlers(container, logger);

  // The schedule invokes start-crawl directly (one short invocation); then the queues take over.
  const started = handlers.startCrawl({ force: false });
  await time.run();
  const { runId } = await started;

  const functions = platform.stats();
  const begin = kind === 'fanout' ? (bus.firstPublishedAt ?? 0) : 0;
  const result = {
    ...tally(),
    items,
    ...(checkpoints.length === 2 ? { steady: [checkpoints[0]!, checkpoints[1]!] as const } : {}),
    lastItemSeconds: (progress.finishedAt - begin) / 1000,
    drainedSeconds: (platform.lastInvocationEnd - begin) / 1000,
    steadyRate: steadyRateOf(progress.samples, progress.total),
    peakConcurrency: platform.peakRunning,
    everyItemOnce: progress.everyItemOnce,
    functions,
    samples: progress.samples.map(([t, done, running]) => [Math.max(0, t - begin / 1000), done, running]),
  } satisfies Omit<Simulation, 'summary'>;

  // The summary is read after the run, as `crawl --json` does; its requests are not part of the run's cost.
  const summarizing = container.get(SummarizeRun).execute(runId);
  await time.run();
  return { ...result, summary: await summarizing } as Simulation;
}

/** Items a second between 25 % and 75 % done: the pace once the pollers have ramped up. */
function steadyRateOf(samples: readonly [number, number, number][], total: number): number {
  const at = (share: number) => samples.find(([, done]) => done >= share * total) ?? samples[samples.length - 1]!;
  const [t1, n1] = at(0.25);
  const [t2, n2] = at(0.75);
  return t2 > t1 ? (n2 - n1) / (t2 - t1) : total / Math.max(1e-3, samples[samples.length - 1]![0]);
}

export function costOf(usage: Usage): Costs {
  const dynamodb =
    (usage.readUnits / 1e6) * PRICES.dynamodbPerMillionReadUnits +
    (usage.writeUnits / 1e6) * PRICES.dynamodbPerMillionWriteUnits;
  const sqs = (usage.sqsRequests / 1e6) * PRICES.sqsPerMillionRequests;
  const lambda =
    (usage.lambdaInvocations / 1e6) * PRICES.lambdaPerMillionRequests + usage.gbSeconds * PRICES.lambdaPerGbSecond;
  const eventbridge = (usage.eventBridgeEvents / 1e6) * PRICES.eventBridgePerMillionEvents;
  return { dynamodb, sqs, lambda, eventbridge, total: dynamodb + sqs + lambda + eventbridge };
}
