/**
 * Sections 3 and 4: AWS requests per unit of work against the design's minimum, and dollars per million feed
 * crawls and per million deliveries, from what the crawl and fan-out sections measured.
 */
import { COST_ESTIMATES, costPerMillion, type CostBreakdown, type Latencies, type Pricing } from './cost-model.js';
import { MIX, type CrawlSectionResult, type MeasuredCrawl } from './crawl-section.js';
import type { FanOutSectionResult } from './fanout-section.js';
import {
  DESIGN_BATCHES,
  minimumPerChangedFeed,
  minimumPerDelivery,
  minimumPerUnchangedFeed,
  total,
  type OperationCounts,
} from './request-model.js';
import { round, type QueueMeters } from './support.js';
import { LAMBDA_RELAY_DEFAULTS } from '../src/entrypoints/lambda/lambda-settings.js';
import { CPU_MS } from './cpu-model.js';
import { DEFAULT_RELAY_SETTINGS } from '../src/application/settings.js';

const LAMBDA_RECIPIENTS_PER_PART =
  LAMBDA_RELAY_DEFAULTS.recipientsPerDelivery ?? DEFAULT_RELAY_SETTINGS.recipientsPerDelivery;
import type { CapacityUnits } from '../src/entrypoints/local/aws-request-counter.js';

/** How long a subscriber's webhook takes to answer, for the delivery invocations' billed time. */
export const ASSUMED_WEBHOOK_LATENCY_MS = 100;

export interface UnitRequests {
  readonly unit: string;
  readonly measured: OperationCounts;
  readonly minimum: OperationCounts;
  readonly measuredTotal: number;
  readonly minimumTotal: number;
  /** The budget for the unit, where it sets one. */
  readonly budget?: number;
}

export interface CostSectionResult {
  readonly requestsPerUnit: UnitRequests[];
  readonly designBatches: typeof DESIGN_BATCHES;
  readonly pricing: { readonly region: string; readonly asOf: string; readonly source: string };
  readonly mix: string;
  /** DynamoDB capacity units per feed crawl of the mix, by table. */
  readonly capacityPerFeedCrawl?: Record<string, CapacityUnits>;
  readonly perMillionFeedCrawls?: CostBreakdown;
  readonly perMillionDeliveries?: CostBreakdown;
  /**
   * The same with each invocation billed at least its CPU (`CPU_MS` in `cpu-model.ts`): every feed and every
   * receiver on a host of its own, a TLS handshake each.
   */
  readonly withCpu?: { readonly perMillionFeedCrawls?: CostBreakdown; readonly perMillionDeliveries?: CostBreakdown };
  /** USD per million feed crawls (target ≤ 0.50). */
  readonly target: number;
  readonly assumptions: string[];
  readonly caveats: string[];
}

export function costSection(
  crawl: CrawlSectionResult | undefined,
  fanOut: FanOutSectionResult | undefined,
  pricing: Pricing,
  feedLatencyMs: number,
): CostSectionResult {
  const caveats: string[] = [];
  const requestsPerUnit: UnitRequests[] = [];
  const unit = (name: string, measured: OperationCounts, minimum: OperationCounts, budget?: number) =>
    requestsPerUnit.push({
      unit: name,
      measured,
      minimum,
      measuredTotal: round(total(measured), 4),
      minimumTotal: round(total(minimum), 4),
      ...(budget === undefined ? {} : { budget }),
    });
  if (crawl?.unchanged && !crawl.unchanged.timedOut) {
    unit('unchanged feed (304)', crawl.unchanged.perFeed, minimumPerUnchangedFeed(), 0.4);
    const { fetched, failed } = crawl.unchanged;
    if (fetched + failed > 0) {
      caveats.push(
        `unchanged feed: ${fetched} feed(s) of the 304 crawl were fetched and ${failed} failed; they are in its figure`,
      );
    }
  } else caveats.push('unchanged feed: needs the crawl section (its 304 crawl)');
  if (crawl && !crawl.first.timedOut) {
    const items = crawl.setup.items;
    unit(`changed feed, ${items} new articles`, crawl.first.perFeed, minimumPerChangedFeed(items), 5);
    if (crawl.first.failed > 0) {
      caveats.push(
        `changed feed: ${crawl.first.failed} of the first crawl's fetches failed; their requests are in its per-feed figure`,
      );
    }
  } else caveats.push('changed feed: needs the crawl section (its first crawl)');
  if (fanOut && fanOut.app.delivered > 0) {
    unit('webhook delivered', fanOut.app.perDelivery, minimumPerDelivery(), 0.1);
  } else caveats.push('delivery: needs the fan-out section');

  const latencies: Latencies = { feedMs: feedLatencyMs, webhookMs: ASSUMED_WEBHOOK_LATENCY_MS };
  // A discovery's recipients in parts of at most a Lambda's `recipientsPerDelivery`.
  const partOf = (subscribers: number) => Math.min(subscribers, LAMBDA_RECIPIENTS_PER_PART);
  const deliveriesPerCrawl = MIX.changedShare * MIX.subscribers;
  let perMillionDeliveries: CostBreakdown | undefined;
  let perMillionFeedCrawls: CostBreakdown | undefined;
  const withCpu: { perMillionFeedCrawls?: CostBreakdown; perMillionDeliveries?: CostBreakdown } = {};
  const delivery =
    fanOut && fanOut.app.delivered > 0
      ? {
          requests: fanOut.app.perDelivery,
          invocations: invocationsPer(fanOut.app.invocations, fanOut.app.delivered),
          messagesPerInvocation: messagesPerInvocation(fanOut.app.invocations),
          recipientsPerPart: partOf(fanOut.app.delivered),
          articlesWritten: 0,
          capacityUnits: scaled(tablesTotal(fanOut.app.capacityUnits), 1 / fanOut.app.delivered),
        }
      : undefined;
  if (delivery) {
    perMillionDeliveries = costPerMillion(delivery, pricing, latencies);
    withCpu.perMillionDeliveries = costPerMillion(delivery, pricing, latencies, {
      cpu: { feedsPerUnit: 1 / fanOut!.app.delivered, changedShare: 1, deliveriesPerUnit: 1 },
    });
  }
  const mix: MeasuredCrawl | undefined = crawl?.mix && !crawl.mix.timedOut ? crawl.mix : undefined;
  if (mix && (mix.failed > 0 || mix.fetched > crawl!.mix!.changedFeeds)) {
    caveats.push(
      `cost mix: its crawl fetched ${mix.fetched} feeds (${crawl!.mix!.changedFeeds} changed; the rest came back from back-off without validators) and ${mix.failed} failed; their requests are in the cost per crawl`,
    );
  }
  let capacityPerFeedCrawl: Record<string, CapacityUnits> | undefined;
  if (mix) {
    // The mix crawl measured everything a crawl of the mix does, its fan-outs and deliveries included. The sample
    // feeds' one-line articles compress far better than real ones: their discoveries are priced as discoveries
    // of real-world articles of the same number, stored by the same article store.
    const real = crawl!.realArticles;
    const articles = real
      ? {
          read: mix.capacityUnits['articles']?.read ?? 0,
          write: crawl!.mix!.changedFeeds * real.writeUnitsPerDiscovery,
        }
      : (mix.capacityUnits['articles'] ?? { read: 0, write: 0 });
    if (!real)
      caveats.push('cost mix: articles priced from the sample feeds’ articles (no real-world discoveries measured)');
    capacityPerFeedCrawl = Object.fromEntries(
      Object.entries({ ...mix.capacityUnits, articles }).map(([table, units]) => [table, scaled(units, 1 / mix.feeds)]),
    );
    const profile = {
      requests: mix.perFeed,
      invocations: invocationsPer(mix.invocations, mix.feeds),
      messagesPerInvocation: messagesPerInvocation(mix.invocations),
      recipientsPerPart: partOf(crawl!.mix!.subscribersPerChangedFeed),
      articlesWritten: mix.newArticles / mix.feeds,
      capacityUnits: tablesTotal(capacityPerFeedCrawl),
      sqsBilledSends: mix.sqsBilledSends / mix.feeds,
      billedEvents: mix.billedEvents / mix.feeds,
    };
    perMillionFeedCrawls = costPerMillion(profile, pricing, latencies);
    withCpu.perMillionFeedCrawls = costPerMillion(profile, pricing, latencies, {
      cpu: {
        feedsPerUnit: 1,
        changedShare: MIX.changedShare,
        deliveriesPerUnit: crawl!.mix!.delivered / mix.feeds,
      },
    });
    const expected = crawl!.mix!.changedFeeds * crawl!.mix!.subscribersPerChangedFeed;
    if (crawl!.mix!.delivered < expected) {
      caveats.push(`cost mix: ${crawl!.mix!.delivered} of ${expected} webhooks were delivered during its crawl`);
    }
  } else caveats.push('cost per feed crawl: needs the crawl section (its mix crawl)');

  return {
    requestsPerUnit,
    designBatches: DESIGN_BATCHES,
    pricing: { region: pricing.region, asOf: pricing.asOf, source: pricing.source },
    mix: `${100 - MIX.changedShare * 100}% unchanged (304), ${MIX.changedShare * 100}% changed with ${MIX.newArticles} new articles and ${MIX.subscribers} webhook subscribers each (${deliveriesPerCrawl} deliveries per feed crawl)`,
    ...(capacityPerFeedCrawl ? { capacityPerFeedCrawl: roundedUnits(capacityPerFeedCrawl) } : {}),
    ...(perMillionFeedCrawls ? { perMillionFeedCrawls } : {}),
    ...(perMillionDeliveries ? { perMillionDeliveries } : {}),
    ...(withCpu.perMillionFeedCrawls || withCpu.perMillionDeliveries ? { withCpu } : {}),
    target: 0.5,
    assumptions: [
      'per feed crawl: everything the crawl section’s mix crawl sent, its fan-outs to 100 webhooks per changed feed and their deliveries included, divided by its feeds',
      `Lambda: arm64, each function’s memory as deployed (fetch ${COST_ESTIMATES.lambdaMemoryMb('fetchFeed')} MB, deliver ${COST_ESTIMATES.lambdaMemoryMb('deliver')} MB, start-fan-out ${COST_ESTIMATES.lambdaMemoryMb('startFanOut')} MB, the others ${COST_ESTIMATES.lambdaMemoryMb('scanFeeds')} MB); a queue with a batching window (fetch, start-fan-out, deliver) in full batches of its batch size, as a million crawls fill them (the embedded poller hands over what one receive returns), the others as measured; billed time per invocation estimated, not measured: fetch = feed latency (${feedLatencyMs} ms) per round of the Lambda’s fetches at once (${LAMBDA_RELAY_DEFAULTS.fetchConcurrency}) that its feeds need + 50 ms, deliver = webhook latency (${ASSUMED_WEBHOOK_LATENCY_MS} ms) per round of the Lambda’s POSTs at once (${LAMBDA_RELAY_DEFAULTS.deliveryConcurrency}) over a part of recipients (at most ${LAMBDA_RECIPIENTS_PER_PART}) + 30 ms, fan-out pages (which deliver a lone part themselves) the same rounds + 60 ms, feed scan pages 60 ms, others 30 ms; CPU time is not in it. The figures "with CPU" bill each invocation at least its CPU at its function's share of a vCPU (memory / 1,769 MB, at most 1): ${CPU_MS.httpsRequest} ms for each feed fetched and each webhook POST (a new TLS connection each: every feed and receiver on a host of its own, the worst case), ${CPU_MS.changedFeed} ms more for each changed feed, the POSTs spent by the deliver function (by start-fan-out where the unit has no deliver invocations)`,
      'DynamoDB: capacity units as DynamoDB bills them, by item size (ReturnConsumedCapacity on the embedded stack), for every request measured; the 304 and mix crawls run on feeds aged to steady state (each recent-article set full); articles are priced from discoveries of real-world articles (the test corpus’s real feeds) stored by the app',
      'SQS: sends as billed, a request per 64 KB of payload (measured); + 1 SendMessage per event routed by the rule; the pollers: a ReceiveMessage and a DeleteMessageBatch per 10 messages of a batch, the receives billed by chunk (the app’s messages in the chunks they were sent in, the rule’s ten to a chunk); idle long polls left out (fixed ≈ $0.26 per queue-month)',
      'EventBridge: events as billed, an event per 64 KB of each entry of a PutEvents (measured)',
    ],
    caveats,
  };
}

function invocationsPer(meters: QueueMeters, units: number): Record<string, number> {
  return Object.fromEntries(Object.entries(meters).map(([queue, m]) => [queue, m.invocations / Math.max(1, units)]));
}

function tablesTotal(byTable: Readonly<Record<string, CapacityUnits>>): CapacityUnits {
  let read = 0;
  let write = 0;
  for (const units of Object.values(byTable)) {
    read += units.read;
    write += units.write;
  }
  return { read, write };
}

const scaled = (units: CapacityUnits, by: number): CapacityUnits => ({
  read: units.read * by,
  write: units.write * by,
});

function roundedUnits(byTable: Readonly<Record<string, CapacityUnits>>): Record<string, CapacityUnits> {
  return Object.fromEntries(
    Object.entries(byTable).map(([table, u]) => [table, { read: round(u.read, 4), write: round(u.write, 4) }]),
  );
}

function messagesPerInvocation(meters: QueueMeters): Record<string, number> {
  return Object.fromEntries(
    Object.entries(meters).map(([queue, m]) => [queue, m.records / Math.max(1, m.invocations)]),
  );
}
