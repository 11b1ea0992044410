/**
 * Dollars per million units of work (feed crawls, deliveries) from the measured requests and invocations per
 * unit, the price table in `pricing-us-east-1.json`, and the estimates below. Every estimate is named here
 * and printed with the result: the embedded stack counts requests, not bytes or billed milliseconds.
 */
import { readFile } from 'node:fs/promises';
import { QUEUES, SQS_RECEIVE_MAX } from '../src/adapters/aws-resources.js';
import { DEFAULT_RELAY_SETTINGS } from '../src/application/settings.js';
import { LAMBDA_RELAY_DEFAULTS } from '../src/entrypoints/lambda/lambda-settings.js';
import { CPU_MS, vcpuOf } from './cpu-model.js';

export interface Pricing {
  readonly region: string;
  readonly asOf: string;
  readonly source: string;
  readonly dynamodb: {
    readonly usdPerMillionWriteRequestUnits: number;
    readonly usdPerMillionReadRequestUnits: number;
  };
  readonly sqs: { readonly usdPerMillionRequests: number };
  readonly lambda: { readonly usdPerGbSecond: number; readonly usdPerMillionRequests: number };
  readonly eventbridge: { readonly usdPerMillionCustomEvents: number };
}

export async function loadPricing(): Promise<Pricing> {
  return JSON.parse(await readFile(new URL('./pricing-us-east-1.json', import.meta.url), 'utf8')) as Pricing;
}

/** What one unit of work costs in requests and invocations (measured), and the articles it writes. */
export interface UnitProfile {
  /** AWS requests per unit by `<service>.<Operation>`. */
  readonly requests: Readonly<Record<string, number>>;
  /** Lambda invocations per unit by queue. */
  readonly invocations: Readonly<Record<string, number>>;
  /**
   * Messages per invocation by queue, as measured. The embedded poller hands a handler what one receive
   * returns; a queue that Lambda polls with a batching window is priced in full batches instead
   * (`COST_ESTIMATES.messagesPerInvocation`). A fetch invocation's billed time grows with its feeds.
   */
  readonly messagesPerInvocation?: Readonly<Record<string, number>>;
  /**
   * Recipients per delivered message (a deliver message's, or the lone part a fan-out page delivers itself): an
   * invocation POSTs them `deliveryConcurrency` at a time, so its billed time grows with their rounds.
   */
  readonly recipientsPerPart?: number;
  /** Article items written per unit (their write units when written by BatchWriteItem). */
  readonly articlesWritten: number;
  /**
   * DynamoDB capacity units per unit, as measured (DynamoDB's own accounting by item size). When given, they
   * replace the per-request estimates of `COST_ESTIMATES` for DynamoDB.
   */
  readonly capacityUnits?: { readonly read: number; readonly write: number };
  /**
   * SQS sends per unit as SQS bills them (a request per 64 KB chunk of payload), as measured. When given, sends
   * are priced from it, and the pollers' receives as at least one request per invocation and at least the
   * chunks sent (each message is received once); otherwise every payload counts as one chunk.
   */
  readonly sqsBilledSends?: number;
  /**
   * Events per unit as EventBridge bills them (an event per 64 KB chunk of each entry of a PutEvents), as
   * measured. When given, it replaces `eventBridgeEntriesPerPutEvents` × PutEvents.
   */
  readonly billedEvents?: number;
}

export interface Latencies {
  /** How long a feed server takes to answer (the bench's `--delay-ms`). */
  readonly feedMs: number;
  /** How long a subscriber's webhook takes to answer. */
  readonly webhookMs: number;
}

/**
 * The estimates, for what the embedded stack does not measure. DynamoDB's request units, SQS's payload chunks
 * and EventBridge's billed events are measured when a unit's profile carries them (`capacityUnits`,
 * `sqsBilledSends`, `billedEvents`); the per-request figures below are the fallback. Item sizes: feed,
 * subscription, ledger and run items stay under 1 KB (1 WRU a write), an article item is 1–2 KB (2 WRU). Reads:
 * a GetItem is strongly consistent (1 RRU, as the stores read today); a Scan page is 100 feeds of ~400 B
 * eventually consistent (40 KB → 5 RRU); a Query page is 100 subscriptions of ~300 B (30 KB → 4 RRU); a
 * BatchGetItem reads ~10 items ≤ 4 KB eventually consistent (5 RRU). SQS and EventBridge payloads stay under one
 * 64 KB chunk, and a PutEvents carries one entry. The rule's delivery to the fan-out queue is one more SQS
 * request. Without measured sends, the Lambda event source's poller makes one ReceiveMessage and one
 * DeleteMessageBatch per invocation (with them: ten messages a call); its empty long polls (~650,000 a queue a
 * month with 5 pollers and 20 s waits, ≈ $0.26) are a fixed monthly cost, not a cost per unit, and are left out.
 */
export const COST_ESTIMATES = {
  /** A function's memory as deployed (`QUEUES`), by the queue it consumes; 512 MB for any other. */
  lambdaMemoryMb(queue: string): number {
    return (QUEUES as Record<string, { memoryMb: number } | undefined>)[queue]?.memoryMb ?? 512;
  },
  /**
   * Messages per invocation as Lambda batches them: a queue with a batching window (`QUEUES`) in full batches
   * of its batch size, since a crawl of a million feeds sends its messages far faster than a batch a window
   * (the 1 M crawl of the scale model: about 40,000 fetch messages and 50,000 discoveries within a minute or
   * two); any other queue as measured (its batch size is 1, or it is polled as soon as a message is there).
   */
  messagesPerInvocation(queue: string, measured: number): number {
    const definition = (QUEUES as Record<string, { batchSize: number; maxBatchingWindowSeconds: number } | undefined>)[
      queue
    ];
    return definition && definition.maxBatchingWindowSeconds > 0 ? definition.batchSize : measured;
  },
  writeUnitsPerRequest: { 'dynamodb.PutItem': 1, 'dynamodb.UpdateItem': 1, 'dynamodb.DeleteItem': 1 } as Record<
    string,
    number
  >,
  articleItemWriteUnits: 2,
  readUnitsPerRequest: {
    'dynamodb.GetItem': 1,
    'dynamodb.Scan': 5,
    'dynamodb.Query': 4,
    'dynamodb.BatchGetItem': 5,
  } as Record<string, number>,
  sqsChunksPerRequest: 1,
  eventBridgeEntriesPerPutEvents: 1,
  sqsPollerRequestsPerInvocation: 2,
  /**
   * Billed milliseconds per invocation, by what the queue's handler waits for. Measured wall time per
   * invocation on a shared 2-core machine says more about the machine than about Lambda, so: a batch's
   * records run concurrently, so a fetch invocation takes the slowest server's latency for each round of the
   * Lambda's `fetchConcurrency` fetches its feeds need (its messages × `feedsPerMessage`), plus ~50 ms of
   * parsing and DynamoDB round trips (5–10 ms each in-region); a delivery the slowest webhook's for each round
   * of the Lambda's `deliveryConcurrency` POSTs its part of recipients needs, plus ~30 ms; a page of the feed
   * scan ~60 ms; a fan-out page (start-fan-out, scan-subscribers) ~60 ms and, as if every one delivered its lone
   * part of recipients itself, that part's rounds; anything else ~30 ms. The messages of a batch run at once.
   */
  durationMs(queue: string, latencies: Latencies, messagesPerInvocation = 1, recipientsPerPart = 1): number {
    if (/fetch/i.test(queue)) {
      const feeds = messagesPerInvocation * DEFAULT_RELAY_SETTINGS.feedsPerMessage;
      const rounds = Math.max(1, Math.ceil(feeds / (LAMBDA_RELAY_DEFAULTS.fetchConcurrency ?? 1)));
      return rounds * latencies.feedMs + 50;
    }
    const deliveryRounds = Math.max(1, Math.ceil(recipientsPerPart / (LAMBDA_RELAY_DEFAULTS.deliveryConcurrency ?? 1)));
    if (/deliver/i.test(queue)) return deliveryRounds * latencies.webhookMs + 30;
    if (/fan-?out|subscribers/i.test(queue)) return deliveryRounds * latencies.webhookMs + 60;
    if (/scan/i.test(queue)) return 60;
    return 30;
  },
};

/**
 * With `cpu`, an invocation is billed at least as long as its CPU takes at its function's share of a vCPU;
 * without, as long as what it waits for. The CPU per unit (`CPU_MS`): each feed fetched on a new TLS connection
 * and, of those, the changed ones (`changedShare`) parsed, spent by the fetch function; each webhook delivered
 * a POST on a new TLS connection, spent by the deliver function where the unit has deliver invocations, else by
 * start-fan-out (the fan-out pages that deliver their lone part themselves); AWS requests left out (a fraction
 * of a millisecond each).
 */
export interface CostOptions {
  readonly cpu?: {
    readonly feedsPerUnit: number;
    readonly changedShare: number;
    readonly deliveriesPerUnit: number;
  };
}

/** The CPU per unit (ms of one vCPU) that each queue's function spends, as `CostOptions.cpu` says. */
function cpuPerUnitByQueue(
  invocations: Readonly<Record<string, number>>,
  cpu: CostOptions['cpu'],
): Map<string, number> {
  const byQueue = new Map<string, number>();
  if (!cpu) return byQueue;
  const queues = Object.keys(invocations).filter((queue) => (invocations[queue] ?? 0) > 0);
  const fetching = queues.find((queue) => /fetch/i.test(queue));
  const delivering = queues.find((queue) => /deliver/i.test(queue)) ?? queues.find((queue) => /fan-?out/i.test(queue));
  if (fetching) byQueue.set(fetching, cpu.feedsPerUnit * (CPU_MS.httpsRequest + cpu.changedShare * CPU_MS.changedFeed));
  if (delivering) byQueue.set(delivering, cpu.deliveriesPerUnit * CPU_MS.httpsRequest);
  return byQueue;
}

export interface CostBreakdown {
  /** USD per million units, by service. */
  readonly usd: { dynamodb: number; sqs: number; lambda: number; eventbridge: number; total: number };
  /** The billed quantities per unit behind it. */
  readonly units: {
    writeRequestUnits: number;
    readRequestUnits: number;
    sqsRequests: number;
    lambdaInvocations: number;
    lambdaGbSeconds: number;
    events: number;
  };
}

export function costPerMillion(
  profile: UnitProfile,
  pricing: Pricing,
  latencies: Latencies,
  options: CostOptions = {},
): CostBreakdown {
  const e = COST_ESTIMATES;
  let wru = 0;
  let rru = 0;
  let sqsRequests = 0;
  let events = 0;
  for (const [operation, count] of Object.entries(profile.requests)) {
    if (operation.startsWith('dynamodb.')) {
      if (operation === 'dynamodb.BatchWriteItem') continue;
      if (operation in e.writeUnitsPerRequest) wru += count * e.writeUnitsPerRequest[operation]!;
      else if (operation in e.readUnitsPerRequest) rru += count * e.readUnitsPerRequest[operation]!;
      else if (/Put|Update|Delete|Write/.test(operation)) wru += count;
      else rru += count;
    } else if (operation.startsWith('sqs.')) {
      sqsRequests += count * e.sqsChunksPerRequest;
    } else if (operation === 'eventbridge.PutEvents') {
      events += count * e.eventBridgeEntriesPerPutEvents;
    }
  }
  if ((profile.requests['dynamodb.BatchWriteItem'] ?? 0) > 0) wru += profile.articlesWritten * e.articleItemWriteUnits;
  if (profile.capacityUnits) {
    wru = profile.capacityUnits.write;
    rru = profile.capacityUnits.read;
  }
  if (profile.billedEvents !== undefined) events = profile.billedEvents;
  // The rule hands each event to the fan-out queue: one SendMessage there.
  sqsRequests += events;
  let invocations = 0;
  let gbSeconds = 0;
  // The poller's ReceiveMessage and DeleteMessageBatch calls: ten messages each at most.
  let pollerCalls = 0;
  const cpuPerUnit = cpuPerUnitByQueue(profile.invocations, options.cpu);
  for (const [queue, measuredCount] of Object.entries(profile.invocations)) {
    const measuredBatch = profile.messagesPerInvocation?.[queue] ?? 1;
    const batch = e.messagesPerInvocation(queue, measuredBatch);
    const count = (measuredCount * measuredBatch) / batch;
    invocations += count;
    pollerCalls += count * Math.ceil(batch / SQS_RECEIVE_MAX);
    const memoryMb = e.lambdaMemoryMb(queue);
    const waitMs = e.durationMs(queue, latencies, batch, profile.recipientsPerPart);
    const cpuMs = count > 0 ? (cpuPerUnit.get(queue) ?? 0) / count : 0;
    const ms = Math.max(waitMs, cpuMs / vcpuOf(memoryMb));
    gbSeconds += count * (ms / 1000) * (memoryMb / 1024);
  }
  if (profile.sqsBilledSends === undefined) {
    sqsRequests += pollerCalls * e.sqsPollerRequestsPerInvocation;
  } else {
    // Sends by chunk (the rule sends each event on its own); deletes ten a call; receives ten a call, billed by
    // chunk: the app's sends are batches of ten too, so its messages come back in as many chunks as they went,
    // and the events' small messages ten to a chunk.
    const sent = profile.sqsBilledSends + events;
    const receivedChunks = profile.sqsBilledSends + events / SQS_RECEIVE_MAX;
    sqsRequests = sent + pollerCalls + Math.max(pollerCalls, receivedChunks);
  }
  const million = 1_000_000;
  const dynamodb =
    wru * pricing.dynamodb.usdPerMillionWriteRequestUnits + rru * pricing.dynamodb.usdPerMillionReadRequestUnits;
  const sqs = sqsRequests * pricing.sqs.usdPerMillionRequests;
  const lambda =
    invocations * pricing.lambda.usdPerMillionRequests + gbSeconds * million * pricing.lambda.usdPerGbSecond;
  const eventbridge = events * pricing.eventbridge.usdPerMillionCustomEvents;
  return {
    usd: { dynamodb, sqs, lambda, eventbridge, total: dynamodb + sqs + lambda + eventbridge },
    units: {
      writeRequestUnits: wru,
      readRequestUnits: rru,
      sqsRequests,
      lambdaInvocations: invocations,
      lambdaGbSeconds: gbSeconds,
      events,
    },
  };
}
