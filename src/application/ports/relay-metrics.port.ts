/**
 * What an operator counts about the relay: runs, feeds, articles, deliveries and relay pages. Each is a sum
 * over an invocation (a Lambda invocation, a batch on the embedded stack).
 */
export const RELAY_METRICS = [
  'RunsStarted',
  'RunsFinished',
  'FeedsFetched',
  'FeedsNotModified',
  'FeedsFailed',
  'NewArticles',
  'DeliveriesDelivered',
  'DeliveriesFailed',
  'DeliveriesPending',
  'RelayPages',
] as const;

export type RelayMetric = (typeof RELAY_METRICS)[number];

/**
 * Counters the handlers add to as work completes. Counting never fails and never waits: an adapter keeps the
 * counts and publishes them its own way (CloudWatch embedded metric format in Lambda's logs, totals in memory).
 */
export interface RelayMetrics {
  /** Adds `value` (a whole number, 0 included) to `metric`. */
  count(metric: RelayMetric, value: number): void;
}
