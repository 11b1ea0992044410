/**
 * The tables and queues of feedrelay: one definition shared by the CDK app and the embedded stack, so that
 * what runs on one machine is what is deployed.
 */

export interface TableDefinition {
  /** The logical name; the physical name is the prefix plus this. */
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** An attribute holding epoch seconds after which DynamoDB may delete the item (TTL). */
  readonly timeToLiveAttribute?: string;
  readonly purpose: string;
}

export const TABLES = {
  feeds: {
    name: 'feeds',
    partitionKey: 'feedId',
    purpose: 'one item per feed; the crawl scans it a page at a time (Scan, Limit, ExclusiveStartKey)',
  },
  subscriptions: {
    name: 'subscriptions',
    /** `<feedId>#<shard>`: a feed's subscribers are spread over its K shards (see `Feed.subscriberShards`). */
    partitionKey: 'feedShard',
    sortKey: 'subscriptionId',
    purpose: "one item per subscription; the fan-out queries one shard of a feed's subscribers a page at a time",
  },
  articles: {
    name: 'articles',
    partitionKey: 'feedId',
    sortKey: 'part',
    timeToLiveAttribute: 'expiresAt',
    purpose:
      "one item per discovery (`d#<eventId>#<n>`): its articles, written together before the feed's commit; expires (TTL)",
  },
  runs: {
    name: 'runs',
    partitionKey: 'runId',
    sortKey: 'sk',
    timeToLiveAttribute: 'expiresAt',
    purpose: 'the run items and the active-run lock (a conditional swap), and per-notification delivery records',
  },
  steps: {
    name: 'steps',
    partitionKey: 'chain',
    sortKey: 'step',
    timeToLiveAttribute: 'expiresAt',
    purpose: 'the step ledger: leases and completion marks that make each page, fetch and delivery happen once',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableName = keyof typeof TABLES;

export interface QueueDefinition {
  readonly name: string;
  /** The work message type (or event) it carries. */
  readonly carries: string;
  /** The handler's time-out in AWS. */
  readonly functionTimeoutSeconds: number;
  /** Six times the function time-out, as AWS advises for SQS event sources. */
  readonly visibilityTimeoutSeconds: number;
  readonly batchSize: number;
  readonly maxReceiveCount: number;
  /** The handler may send messages to its own queue (a relay). */
  readonly recursive: boolean;
}

const queue = (
  name: string,
  carries: string,
  options: { timeout: number; batchSize: number; recursive?: boolean },
): QueueDefinition => ({
  name,
  carries,
  functionTimeoutSeconds: options.timeout,
  visibilityTimeoutSeconds: options.timeout * 6,
  batchSize: options.batchSize,
  maxReceiveCount: 5,
  recursive: options.recursive ?? false,
});

export const QUEUES = {
  scanFeeds: queue('scan-feeds', 'scan-feeds', { timeout: 60, batchSize: 1, recursive: true }),
  fetchFeed: queue('fetch-feed', 'fetch-feed', { timeout: 60, batchSize: 10 }),
  startFanOut: queue('start-fan-out', 'ArticlesDiscovered', { timeout: 30, batchSize: 10 }),
  scanSubscribers: queue('scan-subscribers', 'scan-subscribers', { timeout: 60, batchSize: 1, recursive: true }),
  deliver: queue('deliver', 'deliver', { timeout: 60, batchSize: 10, recursive: true }),
} as const satisfies Record<string, QueueDefinition>;

export type QueueKey = keyof typeof QUEUES;

/** The queue that carries each work message type. */
export const QUEUE_FOR_MESSAGE: Readonly<Record<string, QueueKey>> = {
  'scan-feeds': 'scanFeeds',
  'fetch-feed': 'fetchFeed',
  'scan-subscribers': 'scanSubscribers',
  deliver: 'deliver',
};

export const deadLetterQueueName = (name: string): string => `${name}-dlq`;

/** The EventBridge rule: discoveries go to the fan-out queue. */
export const DISCOVERY_RULE = {
  source: 'feedrelay',
  detailType: 'ArticlesDiscovered',
  target: 'startFanOut' as QueueKey,
} as const;
