/**
 * What the benchmark sections share: a bounded-concurrency loop (the one a user would write), the embedded app
 * with a metered runtime (invocations per queue), a crawl with a deadline, and a peak-RSS sampler.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { QUEUES, type QueueKey } from '../src/adapters/aws-resources.js';
import { DYNAMODB_TABLE_NAMES } from '../src/adapters/dynamodb/tokens.js';
import type { CapacityUnits } from '../src/entrypoints/local/aws-request-counter.js';
import { runCrawl, type CrawlReport } from '../src/entrypoints/local/run-crawl.js';
import type { SqsHandler } from '../src/entrypoints/lambda/handlers.js';
import { createLambdaRuntime } from '../src/entrypoints/local/lambda-runtime.js';
import { openLocalApp, type LocalApp, type LocalAppOptions } from '../src/entrypoints/local/local-app.js';

/** Runs `work` over `items` with at most `limit` at once: the plain loop the app is compared with. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** What the runtime did for one queue: Lambda invocations, records handled, time inside the handler. */
export interface QueueMeter {
  invocations: number;
  records: number;
  busyMs: number;
}

export type QueueMeters = Record<string, QueueMeter>;

/**
 * The embedded app with its own runtime over the same handlers, each wrapped to count invocations per queue
 * (the stock runtime counts only the total). Delivery retries parked on disk are not released by this runtime;
 * the benchmark's data directories are thrown away.
 */
export interface MeteredApp {
  readonly app: LocalApp;
  readonly dataDir: string;
  /** The meters since the last `reset()`. */
  meters(): QueueMeters;
  reset(): void;
  close(): Promise<void>;
}

export async function openMeteredApp(
  options: Omit<LocalAppOptions, 'dataDir' | 'logger'> & { concurrency: number },
): Promise<MeteredApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'feedrelay-bench-'));
  const base = await openLocalApp({ ...options, dataDir, logger: pino({ level: 'error' }) });
  let meters: QueueMeters = {};
  const handlers: Partial<Record<QueueKey, SqsHandler>> = {};
  for (const queue of Object.keys(QUEUES) as QueueKey[]) {
    const handler = (base.handlers as unknown as Record<string, SqsHandler | undefined>)[queue];
    if (typeof handler !== 'function') {
      await base.close();
      throw new Error(`bench: no handler named like queue ${queue} in LocalApp.handlers; update openMeteredApp`);
    }
    handlers[queue] = async (event) => {
      const meter = (meters[queue] ??= { invocations: 0, records: 0, busyMs: 0 });
      meter.invocations++;
      meter.records += event.Records.length;
      const started = performance.now();
      try {
        return await handler(event);
      } finally {
        meter.busyMs += performance.now() - started;
      }
    };
  }
  const runtime = createLambdaRuntime(base.stack, handlers, { concurrency: options.concurrency, logger: base.logger });
  let closed = false;
  const app: LocalApp = {
    ...base,
    runtime,
    async close() {
      if (closed) return;
      closed = true;
      await runtime.stop();
      await base.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return {
    app,
    dataDir,
    meters: () => structuredClone(meters),
    reset: () => (meters = {}),
    close: () => app.close(),
  };
}

/** A crawl that either finished (its report) or was cut off at the deadline (what had been counted by then). */
export interface BoundedCrawl {
  readonly report?: CrawlReport;
  readonly timedOut: boolean;
  readonly wallMs: number;
  readonly awsRequests: { readonly total: number; readonly byOperation: Record<string, number> };
  /** DynamoDB capacity units the crawl consumed, by table (`feeds`, `articles` …), as DynamoDB bills them. */
  readonly capacityUnits: Record<string, CapacityUnits>;
  /** The crawl's SQS sends as SQS bills them (a request per 64 KB of payload). */
  readonly sqsBilledSends: number;
  /** The crawl's events as EventBridge bills them (an event per 64 KB of each entry). */
  readonly billedEvents: number;
  readonly meters: QueueMeters;
}

/** The capacity units counted since the counter's last reset, under the tables' own names (`feeds` …). */
export function capacityByTable(app: LocalApp): Record<string, CapacityUnits> {
  const names = app.container.get(DYNAMODB_TABLE_NAMES) as unknown as Record<string, string>;
  const logical = new Map(Object.entries(names).map(([name, table]) => [table, name]));
  return Object.fromEntries(
    Object.entries(app.requests.capacityUnits()).map(([table, units]) => [logical.get(table) ?? table, units]),
  );
}

/**
 * `runCrawl` with a deadline: past it the app is closed (its runtime stopped, its stack shut down) and the
 * crawl is reported as cut off with the requests counted so far; the app must not be used again.
 */
export async function crawlWithin(
  metered: MeteredApp,
  deadlineMs: number,
  options: { started?: number; force?: boolean } = {},
): Promise<BoundedCrawl> {
  const started = options.started ?? Date.now();
  metered.reset();
  const crawl = runCrawl(metered.app, { force: options.force ?? false });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), deadlineMs)));
  const outcome = await Promise.race([crawl, deadline]);
  clearTimeout(timer);
  if (outcome === 'deadline') {
    const wallMs = Date.now() - started;
    const awsRequests = metered.app.requests.snapshot();
    const capacityUnits = capacityByTable(metered.app);
    const sqsBilledSends = metered.app.requests.sqsBilledSends();
    const billedEvents = metered.app.requests.billedEvents();
    const meters = metered.meters();
    crawl.catch(() => undefined);
    await metered.close();
    return {
      timedOut: true,
      wallMs,
      awsRequests: { ...awsRequests, byOperation: { ...awsRequests.byOperation } },
      capacityUnits,
      sqsBilledSends,
      billedEvents,
      meters,
    };
  }
  return {
    report: outcome,
    timedOut: false,
    wallMs: outcome.durationMs,
    awsRequests: outcome.awsRequests,
    capacityUnits: capacityByTable(metered.app),
    sqsBilledSends: metered.app.requests.sqsBilledSends(),
    billedEvents: metered.app.requests.billedEvents(),
    meters: metered.meters(),
  };
}

/** Samples the resident set size every 100 ms: the peak of the whole run and of the current section. */
export class RssSampler {
  private peak = process.memoryUsage().rss;
  private sectionPeak = this.peak;
  private readonly timer = setInterval(() => this.sample(), 100);

  constructor() {
    this.timer.unref();
  }

  sample(): void {
    const rss = process.memoryUsage().rss;
    this.peak = Math.max(this.peak, rss);
    this.sectionPeak = Math.max(this.sectionPeak, rss);
  }

  /** The section's peak in MiB, and a new section starts. */
  section(): number {
    this.sample();
    const peak = this.sectionPeak;
    this.sectionPeak = process.memoryUsage().rss;
    return mib(peak);
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return mib(this.peak);
  }
}

const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);

/** Counts divided by `per`, rounded to 4 decimals (requests per feed, per delivery). */
export function perUnit(counts: Readonly<Record<string, number>>, per: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([key, n]) => [key, round(n / Math.max(1, per), 4)]));
}

export function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
