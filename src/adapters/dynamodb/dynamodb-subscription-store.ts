import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import type { PagePosition } from '../../domain/cursor.js';
import { InvalidCursorError } from '../../domain/errors.js';
import { candidateShards, shardOf, type Subscription } from '../../domain/subscription.js';
import type { Page } from '../../application/ports/page.js';
import type {
  PlacedSubscription,
  SubscriberPageReader,
  SubscriptionRepository,
} from '../../application/ports/subscription-store.port.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { StoreRequestError } from './errors.js';
import {
  batchGetAll,
  batchWriteAll,
  conditional,
  pageLimit,
  positionOf,
  request,
  startKeyOf,
  CONDITION_FAILED,
  type Item,
} from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from './tokens.js';

const FEED_SHARD = TABLES.subscriptions.partitionKey;
const SUBSCRIPTION_ID = TABLES.subscriptions.sortKey;

/** The partition of one shard of one feed's subscribers. */
export const feedShardKey = (feedId: string, shard: number): string => `${feedId}#${shard}`;

/**
 * Subscriptions in DynamoDB, one partition per feed shard (`<feedId>#<shard>`). A subscription is written to
 * shard hash(id) mod K of its feed; since K only doubles, a lookup by (feed, id) reads the log2(K) + 1 keys it
 * may be under in one BatchGetItem (`candidateShards`). Pages are consistent Queries of one shard.
 */
@injectable()
export class DynamoDbSubscriptionStore implements SubscriptionRepository, SubscriberPageReader {
  private readonly table: string;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
  ) {
    this.table = names.subscriptions;
  }

  async add(subscription: Subscription, shards = 1): Promise<Subscription> {
    // Retried only if the active subscription that refused the put is gone by the time it is read.
    for (let attempt = 0; attempt < 5; attempt++) {
      const [existing] = await this.findMany(subscription.feedId, [subscription.id], shards);
      if (existing?.subscription.status === 'active') return existing.subscription;
      const shard = existing?.shard ?? shardOf(subscription.id, shards);
      const result = await conditional(`PutItem on ${this.table}`, () =>
        this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: toItem(subscription, shard),
            ConditionExpression: 'attribute_not_exists(#sid) OR #status <> :active',
            ExpressionAttributeNames: { '#sid': SUBSCRIPTION_ID, '#status': 'status' },
            ExpressionAttributeValues: { ':active': 'active' },
          }),
        ),
      );
      if (result !== CONDITION_FAILED) return subscription;
    }
    throw new StoreRequestError(`subscription ${subscription.id} kept changing while it was added`);
  }

  async get(feedId: string, subscriptionId: string): Promise<Subscription | undefined> {
    return (await this.findMany(feedId, [subscriptionId]))[0]?.subscription;
  }

  async findMany(feedId: string, subscriptionIds: readonly string[], shards?: number): Promise<PlacedSubscription[]> {
    const ids = [...new Set(subscriptionIds)];
    const keys = ids.flatMap((id) =>
      candidateShards(id, shards).map((shard) => ({
        [FEED_SHARD]: feedShardKey(feedId, shard),
        [SUBSCRIPTION_ID]: id,
      })),
    );
    const items = await batchGetAll(this.doc, this.table, keys, { consistentRead: true, concurrency: 8 });
    const found = new Map<string, PlacedSubscription>();
    for (const item of items) {
      const placed = fromItem(item);
      const other = found.get(placed.subscription.id);
      // Two copies only after a race of writers across a doubling of K: the active one counts.
      if (!other || (other.subscription.status !== 'active' && placed.subscription.status === 'active')) {
        found.set(placed.subscription.id, placed);
      }
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  async putMany(placed: readonly PlacedSubscription[]): Promise<void> {
    await batchWriteAll(
      this.doc,
      this.table,
      placed.map(({ subscription, shard }) => toItem(subscription, shard)),
      { concurrency: 8 },
    );
  }

  async end(feedId: string, subscriptionId: string): Promise<void> {
    const [existing] = await this.findMany(feedId, [subscriptionId]);
    if (!existing) return;
    // The condition keeps an UpdateItem on a subscription deleted meanwhile from creating a stub item.
    await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [FEED_SHARD]: feedShardKey(feedId, existing.shard), [SUBSCRIPTION_ID]: subscriptionId },
          UpdateExpression: 'SET #status = :ended',
          ConditionExpression: 'attribute_exists(#sid)',
          ExpressionAttributeNames: { '#sid': SUBSCRIPTION_ID, '#status': 'status' },
          ExpressionAttributeValues: { ':ended': 'ended' },
        }),
      ),
    );
  }

  async rotateSecret({ subscription, shard }: PlacedSubscription, expectedSecret: string): Promise<boolean> {
    const set: string[] = [];
    const remove: string[] = [];
    const values: Record<string, unknown> = { ':active': 'active', ':expected': expectedSecret };
    for (const field of ['secret', 'previousSecret', 'previousSecretUntil'] as const) {
      const value = subscription[field];
      if (value === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    const result = await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [FEED_SHARD]: feedShardKey(subscription.feedId, shard), [SUBSCRIPTION_ID]: subscription.id },
          UpdateExpression: [
            set.length ? `SET ${set.join(', ')}` : '',
            remove.length ? `REMOVE ${remove.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join(' '),
          ConditionExpression: 'attribute_exists(#sid) AND #status = :active AND #secret = :expected',
          ExpressionAttributeNames: {
            '#sid': SUBSCRIPTION_ID,
            '#status': 'status',
            '#secret': 'secret',
            '#previousSecret': 'previousSecret',
            '#previousSecretUntil': 'previousSecretUntil',
          },
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return result !== CONDITION_FAILED;
  }

  /** One Query page of one shard, consistent so that a subscription just added is not missed. */
  async readPage(
    feedId: string,
    shard: number,
    after: PagePosition | undefined,
    limit: number,
  ): Promise<Page<Subscription>> {
    const partition = feedShardKey(feedId, shard);
    const start = after === undefined ? undefined : startKeyOf(after, [FEED_SHARD, SUBSCRIPTION_ID]);
    if (start !== undefined && start[FEED_SHARD] !== partition) {
      throw new InvalidCursorError(`page position belongs to another feed or shard than ${partition}`);
    }
    const input = {
      TableName: this.table,
      KeyConditionExpression: '#partition = :partition',
      ExpressionAttributeNames: { '#partition': FEED_SHARD },
      ExpressionAttributeValues: { ':partition': partition },
      Limit: pageLimit(limit),
      ConsistentRead: true,
      ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
    };
    const out = await request(`Query on ${this.table}`, () => this.doc.send(new QueryCommand(input)));
    const next = positionOf(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map((item) => fromItem(item).subscription), ...(next ? { next } : {}) };
  }
}

/**
 * The item of a subscription: its feed's id is in the partition key, so it is not stored again (30 bytes of
 * every subscription the fan-out reads). Items written with it (before) read the same.
 */
function toItem(subscription: Subscription, shard: number): Item {
  const { id, feedId, ...rest } = subscription;
  return { ...rest, [FEED_SHARD]: feedShardKey(feedId, shard), [SUBSCRIPTION_ID]: id };
}

function fromItem(item: Item): PlacedSubscription {
  const { [FEED_SHARD]: partition, [SUBSCRIPTION_ID]: id, ...rest } = item;
  const at = String(partition).lastIndexOf('#');
  const shard = Number(String(partition).slice(at + 1));
  return { subscription: { feedId: String(partition).slice(0, at), ...rest, id } as unknown as Subscription, shard };
}
