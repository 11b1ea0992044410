import { AsyncLocalStorage } from 'node:async_hooks';
import { CPU_MS } from '../cpu-model.js';
import type { VirtualTime } from './virtual-time.js';

/** The AWS limits and latencies the scale model assumes (documented quotas and typical in-region latencies). */
export const LIMITS = {
  /** New execution environments one function may add per 10 s. */
  lambdaScaleStep: 1000,
  lambdaScaleWindowMs: 10_000,
  /** Cold start of a Node.js 22 arm64 function with this bundle (virtual). */
  coldStartMs: 300,
  /** From a poller's receive to the handler running. */
  invokeOverheadMs: 20,
  /** Concurrent batches an SQS event source starts with, and how fast it adds more while messages wait. */
  pollersAtStart: 5,
  pollerRampPerMinute: 300,
  /** DynamoDB: one partition key serves at most this many units a second. */
  partitionReadUnitsPerSecond: 3000,
  partitionWriteUnitsPerSecond: 1000,
  /** DynamoDB: the default per-table throughput quota (on-demand), adjustable. */
  tableReadUnitsPerSecond: 40_000,
  tableWriteUnitsPerSecond: 40_000,
  /** A Scan or Query page stops at 1 MB. */
  pageBytes: 1024 * 1024,
  latencyMs: { dynamodb: 5, sqs: 10, eventbridge: 20 },
} as const;

/** The CPU an invocation has spent so far (`CPU_MS`), charged by whatever its handler awaits. */
export const invocationCpu = new AsyncLocalStorage<{ ms: number }>();

/** Charges `ms` of one vCPU to the invocation running (nothing outside one). */
export function chargeCpu(ms: number): void {
  const spent = invocationCpu.getStore();
  if (spent) spent.ms += ms;
}

/** us-east-1 on-demand prices, arm64 Lambda (USD). */
export const PRICES = {
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbPerMillionReadUnits: 0.125,
  sqsPerMillionRequests: 0.4,
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: 0.0000133334,
  eventBridgePerMillionEvents: 1.0,
} as const;

/** Approximate item sizes (bytes) used for capacity units and the 1 MB page limit. */
export const ITEM_BYTES = { feed: 400, subscription: 350, article: 1500, outcome: 120, step: 160 } as const;

/**
 * The bytes a discovery's item holds: its key and TTL, and its articles' JSON (`ITEM_BYTES.article` each)
 * gzipped, as `DynamoDbArticleStore` writes them. Article JSON compresses about threefold: 3.26 for the 1,335
 * articles of the real feeds in `test/fixtures/corpus`, in discoveries of five.
 */
export const discoveryItemBytes = (articles: number): number => 100 + Math.ceil((articles * ITEM_BYTES.article) / 3);

export type Service = 'dynamodb' | 'sqs' | 'eventbridge';

/** Requests, capacity units and throttling seen by the simulated AWS, by service and operation. */
export class AwsMeter {
  readonly requests = new Map<string, number>();
  readUnits = 0;
  writeUnits = 0;
  /** Requests that had to wait for a hot partition (or the table quota), and the total wait. */
  throttled = 0;
  throttledWaitMs = 0;
  eventBridgeEvents = 0;

  count(service: Service, operation: string, n = 1): void {
    const name = `${service}.${operation}`;
    this.requests.set(name, (this.requests.get(name) ?? 0) + n);
  }

  total(service?: Service): number {
    let sum = 0;
    for (const [name, n] of this.requests) if (!service || name.startsWith(`${service}.`)) sum += n;
    return sum;
  }
}

/**
 * Throughput of one key as the generic cell rate algorithm: each request of `units` takes `units / rate`
 * seconds of the key's capacity, with up to one second of burst; a request over the rate waits its turn
 * (the SDK's retries on throttling, modelled as a queue). Keys idle for a second are forgotten.
 */
export class ThroughputLimiter {
  private readonly tat = new Map<string, number>();
  private sweptAt = 0;

  constructor(
    private readonly unitsPerSecond: number,
    private readonly burstMs = 1000,
  ) {}

  /** Reserves capacity for `units` at time `now`; returns how long the request must wait (ms). */
  reserve(key: string, units: number, now: number): number {
    if (now - this.sweptAt > 5000) this.sweep(now);
    const increment = (units / this.unitsPerSecond) * 1000;
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const start = Math.max(now, tat - this.burstMs);
    this.tat.set(key, tat + increment);
    return start - now;
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, tat] of this.tat) if (tat < now) this.tat.delete(key);
  }
}

export interface DynamoRequest {
  readonly table: string;
  readonly operation: string;
  /** The partition key value the request lands on (undefined: spread over the table, as a Scan is). */
  readonly partition?: string;
  readonly readUnits?: number;
  readonly writeUnits?: number;
}

/**
 * The simulated AWS endpoints the metered adapters call: each request is counted, waits its virtual latency,
 * and DynamoDB requests also wait for their partition's and table's throughput.
 */
export class SimulatedAws {
  readonly meter = new AwsMeter();
  private readonly partitionReads = new ThroughputLimiter(LIMITS.partitionReadUnitsPerSecond);
  private readonly partitionWrites = new ThroughputLimiter(LIMITS.partitionWriteUnitsPerSecond);
  private readonly tableReads = new ThroughputLimiter(LIMITS.tableReadUnitsPerSecond);
  private readonly tableWrites = new ThroughputLimiter(LIMITS.tableWriteUnitsPerSecond);

  constructor(private readonly time: VirtualTime) {}

  async dynamodb(request: DynamoRequest): Promise<void> {
    const now = this.time.now;
    const reads = request.readUnits ?? 0;
    const writes = request.writeUnits ?? 0;
    this.meter.count('dynamodb', request.operation);
    chargeCpu(CPU_MS.awsRequest);
    this.meter.readUnits += reads;
    this.meter.writeUnits += writes;
    let wait = 0;
    if (reads > 0) {
      wait = Math.max(wait, this.tableReads.reserve(request.table, reads, now));
      if (request.partition !== undefined) {
        wait = Math.max(wait, this.partitionReads.reserve(`${request.table}/${request.partition}`, reads, now));
      }
    }
    if (writes > 0) {
      wait = Math.max(wait, this.tableWrites.reserve(request.table, writes, now));
      if (request.partition !== undefined) {
        wait = Math.max(wait, this.partitionWrites.reserve(`${request.table}/${request.partition}`, writes, now));
      }
    }
    if (wait > 0) {
      this.meter.throttled++;
      this.meter.throttledWaitMs += wait;
    }
    await this.time.sleep(wait + LIMITS.latencyMs.dynamodb);
  }

  async sqs(operation: string, n = 1): Promise<void> {
    this.meter.count('sqs', operation, n);
    chargeCpu(CPU_MS.awsRequest * n);
    await this.time.sleep(LIMITS.latencyMs.sqs);
  }

  /** Counts an SQS request the Lambda service makes for the event source (no one waits on it here). */
  countSqs(operation: string, n = 1): void {
    this.meter.count('sqs', operation, n);
  }

  async eventBridge(entries: number): Promise<void> {
    this.meter.count('eventbridge', 'PutEvents');
    chargeCpu(CPU_MS.awsRequest);
    this.meter.eventBridgeEvents += entries;
    await this.time.sleep(LIMITS.latencyMs.eventbridge);
  }
}

/** Capacity units of `bytes` read (4 KB units; eventually consistent reads cost half). */
export const readUnitsOf = (bytes: number, consistent = true): number =>
  Math.ceil(bytes / 4096) * (consistent ? 1 : 0.5);
/** Capacity units of one item of `bytes` written (1 KB units). */
export const writeUnitsOf = (bytes: number): number => Math.ceil(bytes / 1024);
