import { DEFAULT_RELAY_SETTINGS } from '../src/application/settings.js';

/**
 * The fewest AWS requests the design of issue 7 allows per unit of work: what the measured counts are held
 * against. The constants are the design's batch sizes (docs: design note "New work messages" and "Run
 * tallies"); change them here when the crawl internals change them.
 */
export const DESIGN_BATCHES = {
  /** Feeds per Scan page of a scan-feeds chain (`RelaySettings.feedPageSize`). */
  feedsPerScanPage: DEFAULT_RELAY_SETTINGS.feedPageSize,
  /** Feeds per fetch message (`RelaySettings.feedsPerMessage`). */
  feedsPerFetchMessage: DEFAULT_RELAY_SETTINGS.feedsPerMessage,
  /** Messages per SendMessageBatch (the SQS limit). */
  messagesPerSendBatch: 10,
  /** Step ledger writes per message run as one step: one claim, one complete (both UpdateItem). */
  ledgerWritesPerStep: 2,
  /** A fetch message's step is not claimed: one GetItem (done already?) and one record (UpdateItem). */
  ledgerWritesPerFetchMessage: 1,
  ledgerReadsPerFetchMessage: 1,
  /** Article items per BatchWriteItem (the DynamoDB limit). */
  articlesPerBatchWrite: 25,
  /** Recipients per deliver message (`RelaySettings.recipientsPerDelivery`). */
  recipientsPerDeliverMessage: DEFAULT_RELAY_SETTINGS.recipientsPerDelivery,
  /** Subscribers per Query page of a fan-out (`RelaySettings.subscriberPageSize`). */
  subscribersPerQueryPage: DEFAULT_RELAY_SETTINGS.subscriberPageSize,
} as const;

export type OperationCounts = Record<string, number>;

const add = (into: OperationCounts, operation: string, count: number): OperationCounts => {
  into[operation] = (into[operation] ?? 0) + count;
  return into;
};

/**
 * An unchanged feed (304): its share of a Scan page, of a SendMessageBatch carrying 10 fetch messages of 25
 * feeds, and of its fetch message's ledger read and write. The work carries the validators, so a 304 reads
 * nothing of its own.
 */
export function minimumPerUnchangedFeed(b = DESIGN_BATCHES): OperationCounts {
  const counts: OperationCounts = {};
  add(counts, 'dynamodb.Scan', 1 / b.feedsPerScanPage);
  add(counts, 'sqs.SendMessageBatch', 1 / (b.messagesPerSendBatch * b.feedsPerFetchMessage));
  add(counts, 'dynamodb.GetItem', b.ledgerReadsPerFetchMessage / b.feedsPerFetchMessage);
  add(counts, 'dynamodb.UpdateItem', b.ledgerWritesPerFetchMessage / b.feedsPerFetchMessage);
  return counts;
}

/**
 * A changed feed: the unchanged feed's shares, plus its articles in BatchWriteItems of 25, one conditional
 * UpdateItem of the feed item (validators, version), one PutEvents, and the fan-out's first Query of its
 * subscribers (made whether or not it has any).
 */
export function minimumPerChangedFeed(newArticles: number, b = DESIGN_BATCHES): OperationCounts {
  const counts = minimumPerUnchangedFeed(b);
  add(counts, 'dynamodb.BatchWriteItem', Math.ceil(newArticles / b.articlesPerBatchWrite));
  add(counts, 'dynamodb.UpdateItem', 1);
  add(counts, 'eventbridge.PutEvents', 1);
  add(counts, 'dynamodb.Query', 1);
  return counts;
}

/**
 * One webhook delivered: per page of 100 recipients one Query, one send of the deliver message, one BatchGet
 * of the articles, and the deliver step's two ledger writes.
 */
export function minimumPerDelivery(b = DESIGN_BATCHES): OperationCounts {
  const per = b.recipientsPerDeliverMessage;
  const counts: OperationCounts = {};
  add(counts, 'dynamodb.Query', 1 / b.subscribersPerQueryPage);
  add(counts, 'sqs.SendMessageBatch', 1 / (per * b.messagesPerSendBatch));
  add(counts, 'dynamodb.BatchGetItem', 1 / per);
  add(counts, 'dynamodb.UpdateItem', b.ledgerWritesPerStep / per);
  return counts;
}

export function total(counts: Readonly<OperationCounts>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
