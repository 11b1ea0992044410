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
    purpose:
      "one item per subscription, or a pack of up to 64 written by the import that created the feed; the fan-out queries one shard of a feed's subscribers a page at a time",
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
  /**
   * Six times the function time-out, as AWS advises for SQS event sources, plus the batching window (the
   * messages of a batch are already received, and invisible, while the event source waits to fill it).
   */
  readonly visibilityTimeoutSeconds: number;
  /**
   * Messages per invocation as deployed (the event source's batch size, 1 to 10,000; the invocation's
   * payload stays within Lambda's 6 MB, fewer messages if they are large). The embedded stack receives at
   * most 10 at a time, SQS's limit for one ReceiveMessage.
   */
  readonly batchSize: number;
  /** How long the event source may wait to fill a batch; Lambda requires more than 0 for a batch over 10. */
  readonly maxBatchingWindowSeconds: number;
  /** At most this many concurrent invocations from the queue (the event source's maximum concurrency, 2 to 1,000). */
  readonly maxConcurrency: number;
  /** Memory of the consuming function in AWS (MB; on arm64 the memory also sets the CPU share). */
  readonly memoryMb: number;
  readonly maxReceiveCount: number;
  /** The handler may send messages to its own queue (a relay). */
  readonly recursive: boolean;
}

/** The most messages one SQS ReceiveMessage returns (the embedded stack's batches). */
export const SQS_RECEIVE_MAX = 10;

const queue = (
  name: string,
  carries: string,
  options: {
    timeout: number;
    batchSize: number;
    batchingWindow?: number;
    maxConcurrency: number;
    memoryMb?: number;
    recursive?: boolean;
  },
): QueueDefinition => {
  const batchingWindow = options.batchingWindow ?? 0;
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 10_000) {
    throw new RangeError(`queue ${name}: an SQS event source takes batches of 1 to 10,000, got ${options.batchSize}`);
  }
  if (options.batchSize > SQS_RECEIVE_MAX && !(batchingWindow > 0)) {
    throw new RangeError(`queue ${name}: a batch size over ${SQS_RECEIVE_MAX} needs a batching window over 0 s`);
  }
  if (!Number.isInteger(batchingWindow) || batchingWindow < 0 || batchingWindow > 300) {
    throw new RangeError(`queue ${name}: the batching window is 0 to 300 whole seconds, got ${batchingWindow}`);
  }
  if (!Number.isInteger(options.maxConcurrency) || options.maxConcurrency < 2 || options.maxConcurrency > 1000) {
    throw new RangeError(`queue ${name}: maximum concurrency is 2 to 1,000, got ${options.maxConcurrency}`);
  }
  return {
    name,
    carries,
    functionTimeoutSeconds: options.timeout,
    visibilityTimeoutSeconds: options.timeout * 6 + batchingWindow,
    batchSize: options.batchSize,
    maxBatchingWindowSeconds: batchingWindow,
    maxConcurrency: options.maxConcurrency,
    memoryMb: options.memoryMb ?? 512,
    maxReceiveCount: 5,
    recursive: options.recursive ?? false,
  };
};

/**
 * The queues, and each one's consumer as deployed, sized for ten million feeds in five minutes and a
 * discovery to 12.5 million subscribers in two within an account's 1,000 concurrent executions (the
 * arithmetic is in the README, "Sized for scale"): the fetches and the deliveries take most of the
 * concurrency, and each does as much work per invocation as its time-out, memory and file descriptors
 * allow, because the SQS event sources add concurrency slowly (about 300 a minute); each relay chain (a scan
 * segment, a subscriber shard) needs one invocation at a time.
 */
export const QUEUES = {
  scanFeeds: queue('scan-feeds', 'scan-feeds', { timeout: 60, batchSize: 1, maxConcurrency: 100, recursive: true }),
  fetchFeed: queue('fetch-feed', 'fetch-feed', {
    // Five rounds of `fetchConcurrency` fetches of at most 10 s each, and the commits.
    timeout: 90,
    batchSize: 40,
    batchingWindow: 1,
    maxConcurrency: 800,
    // `fetchConcurrency` fetches at once hold at most the fetcher's byte budget of bodies (128 MiB), not 200 ×
    // 5 MiB (see `LAMBDA_RELAY_DEFAULTS`); the memory an invocation holds while it waits on slow feeds is most of
    // a crawl's Lambda cost.
    memoryMb: 1024,
  }),
  // The fan-out's pages deliver a lone part of recipients themselves: as long as a deliver message may take.
  // start-fan-out does so for most discoveries (a feed of a few subscribers): up to ten parts an invocation,
  // `deliveryConcurrency` POSTs each at once, with the concurrency and the CPU (TLS handshakes) that takes.
  // The window lets a crawl's discoveries share invocations (ten a batch, not one each) for at most a second.
  startFanOut: queue('start-fan-out', 'ArticlesDiscovered', {
    timeout: 120,
    batchSize: 10,
    batchingWindow: 1,
    maxConcurrency: 200,
    memoryMb: 1024,
  }),
  scanSubscribers: queue('scan-subscribers', 'scan-subscribers', {
    timeout: 120,
    batchSize: 1,
    maxConcurrency: 150,
    recursive: true,
  }),
  deliver: queue('deliver', 'deliver', {
    // Ten rounds of `deliveryConcurrency` POSTs of at most 10 s each (see `LAMBDA_RELAY_DEFAULTS`).
    timeout: 120,
    batchSize: 32,
    batchingWindow: 1,
    maxConcurrency: 800,
    // One full vCPU: 8,000 signed POSTs an invocation, 800 at a time, most of them a TLS handshake.
    memoryMb: 1769,
    recursive: true,
  }),
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

/**
 * The KMS key that seals webhook signing secrets (envelope encryption, see `KmsSecretCipher`): every data key
 * is generated and decrypted under this encryption context, and the grants are conditioned on it.
 */
export const SECRETS_KEY = {
  encryptionContext: { purpose: 'feedrelay-webhook-secret' },
} as const;

/**
 * The keyring of the secrets key: each data key as KMS encrypted it, kept once under the short id that the
 * secrets it sealed carry (see `DataKeyRing`). Its items live in the subscriptions table, beside the secrets
 * that need them, under one partition of their own (`keyring`: a feed shard's partition is `<feedId>#<shard>`,
 * never without a `#`): no table more to deploy, and the keys share the secrets' lifetime, since that table has
 * no TTL, is retained and deletion-protected with the stack's key, and its backups and point-in-time restores
 * hold the keys with the secrets. The grants on them are conditioned on that partition.
 */
export const KEY_RING = {
  table: 'subscriptions',
  partition: 'keyring',
} as const satisfies { table: TableName; partition: string };
