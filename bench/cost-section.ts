/**
 * Sections 3 and 4: AWS requests per unit of work against the design's minimum, and dollars per million feed
 * crawls and per million deliveries, from what the crawl and fan-out sections measured.
 */
import {
  COST_ESTIMATES,
  combine,
  costPerMillion,
  type CostBreakdown,
  type Latencies,
  type Pricing,
} from './cost-model.js';
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

/** Subscribers of each changed feed in the cost mix. */
export const SUBSCRIBERS_PER_CHANGED_FEED = 100;
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
  readonly perMillionFeedCrawls?: CostBreakdown;
  readonly perMillionDeliveries?: CostBreakdown;
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
  const deliveriesPerCrawl = MIX.changedShare * SUBSCRIBERS_PER_CHANGED_FEED;
  let perMillionDeliveries: CostBreakdown | undefined;
  let perMillionFeedCrawls: CostBreakdown | undefined;
  const delivery =
    fanOut && fanOut.app.delivered > 0
      ? {
          requests: fanOut.app.perDelivery,
          invocations: invocationsPer(fanOut.app.invocations, fanOut.app.delivered),
          articlesWritten: 0,
        }
      : undefined;
  if (delivery) perMillionDeliveries = costPerMillion(delivery, pricing, latencies);
  const mix: MeasuredCrawl | undefined = crawl?.mix && !crawl.mix.timedOut ? crawl.mix : undefined;
  if (mix && (mix.failed > 0 || mix.fetched > crawl!.mix!.changedFeeds)) {
    caveats.push(
      `cost mix: its crawl fetched ${mix.fetched} feeds (${crawl!.mix!.changedFeeds} changed; the rest came back from back-off without validators) and ${mix.failed} failed; their requests are in the cost per crawl`,
    );
  }
  if (mix && delivery) {
    const perFeedInvocations = invocationsPer(mix.invocations, mix.feeds);
    perMillionFeedCrawls = costPerMillion(
      {
        requests: combine(mix.perFeed, delivery.requests, deliveriesPerCrawl),
        invocations: combine(perFeedInvocations, delivery.invocations, deliveriesPerCrawl),
        articlesWritten: mix.newArticles / mix.feeds,
      },
      pricing,
      latencies,
    );
  } else caveats.push('cost per feed crawl: needs the crawl section (its mix crawl) and the fan-out section');

  return {
    requestsPerUnit,
    designBatches: DESIGN_BATCHES,
    pricing: { region: pricing.region, asOf: pricing.asOf, source: pricing.source },
    mix: `${100 - MIX.changedShare * 100}% unchanged (304), ${MIX.changedShare * 100}% changed with ${MIX.newArticles} new articles and ${SUBSCRIBERS_PER_CHANGED_FEED} webhook subscribers each (${deliveriesPerCrawl} deliveries per feed crawl)`,
    ...(perMillionFeedCrawls ? { perMillionFeedCrawls } : {}),
    ...(perMillionDeliveries ? { perMillionDeliveries } : {}),
    target: 0.5,
    assumptions: [
      'requests per feed crawl: the crawl section’s mix crawl (measured, no subscribers) plus 5 deliveries at the fan-out section’s requests per delivery (measured at its subscriber count)',
      `Lambda: arm64, ${COST_ESTIMATES.lambdaMemoryMb} MB; billed time per invocation estimated, not measured: fetch = feed latency (${feedLatencyMs} ms) + 50 ms, deliver = webhook latency (${ASSUMED_WEBHOOK_LATENCY_MS} ms) + 30 ms, scans 60 ms, others 30 ms`,
      'DynamoDB: items < 1 KB (1 WRU) except articles (2 WRU in a BatchWriteItem); GetItem 1 RRU, Scan page 5, Query page 4, BatchGetItem 5',
      'SQS: every payload < 64 KB; + 2 poller requests (Receive, DeleteBatch) per invocation; + 1 SendMessage per event routed by the rule; idle long polls left out (fixed ≈ $0.26 per queue-month)',
      'EventBridge: 1 entry per PutEvents, < 64 KB',
    ],
    caveats,
  };
}

function invocationsPer(meters: QueueMeters, units: number): Record<string, number> {
  return Object.fromEntries(Object.entries(meters).map(([queue, m]) => [queue, m.invocations / Math.max(1, units)]));
}
