import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import type { PagePosition } from '../../domain/cursor.js';
import { InvalidCursorError } from '../../domain/errors.js';
import type { Subscription } from '../../domain/subscription.js';
import type { Page } from '../../application/ports/page.js';
import type { SubscriberPageReader, SubscriptionRepository } from '../../application/ports/subscription-store.port.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { StoreRequestError } from './errors.js';
import { conditional, pageLimit, positionOf, request, startKeyOf, CONDITION_FAILED, type Item } from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from './tokens.js';

const FEED_ID = TABLES.subscriptions.partitionKey;
const SUBSCRIPTION_ID = TABLES.subscriptions.sortKey;

/**
 * Subscriptions in DynamoDB, one partition per feed: added with a conditional put that never replaces an
 * active subscription, and read one feed's page at a time with a consistent Query.
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

  async add(subscription: Subscription): Promise<Subscription> {
    // Retried only if the active subscription that refused the put is gone by the time it is read.
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = await conditional(`PutItem on ${this.table}`, () =>
        this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: toItem(subscription),
            ConditionExpression: 'attribute_not_exists(#sid) OR #status <> :active',
            ExpressionAttributeNames: { '#sid': SUBSCRIPTION_ID, '#status': 'status' },
            ExpressionAttributeValues: { ':active': 'active' },
          }),
        ),
      );
      if (result !== CONDITION_FAILED) return subscription;
      const existing = await this.get(subscription.feedId, subscription.id);
      if (existing?.status === 'active') return existing;
    }
    throw new StoreRequestError(`subscription ${subscription.id} kept changing while it was added`);
  }

  async get(feedId: string, subscriptionId: string): Promise<Subscription | undefined> {
    const out = await request(`GetItem on ${this.table}`, () =>
      this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { [FEED_ID]: feedId, [SUBSCRIPTION_ID]: subscriptionId },
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async end(feedId: string, subscriptionId: string): Promise<void> {
    // The condition keeps an UpdateItem on an unknown subscription from creating a stub item.
    await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [FEED_ID]: feedId, [SUBSCRIPTION_ID]: subscriptionId },
          UpdateExpression: 'SET #status = :ended',
          ConditionExpression: 'attribute_exists(#sid)',
          ExpressionAttributeNames: { '#sid': SUBSCRIPTION_ID, '#status': 'status' },
          ExpressionAttributeValues: { ':ended': 'ended' },
        }),
      ),
    );
  }

  /** One Query page of the feed's partition, consistent so that a subscription just added is not missed. */
  async readPage(feedId: string, after: PagePosition | undefined, limit: number): Promise<Page<Subscription>> {
    const start = after === undefined ? undefined : startKeyOf(after, [FEED_ID, SUBSCRIPTION_ID]);
    if (start !== undefined && start[FEED_ID] !== feedId) {
      throw new InvalidCursorError(`page position belongs to another feed than ${feedId}`);
    }
    const input = {
      TableName: this.table,
      KeyConditionExpression: '#feed = :feed',
      ExpressionAttributeNames: { '#feed': FEED_ID },
      ExpressionAttributeValues: { ':feed': feedId },
      Limit: pageLimit(limit),
      ConsistentRead: true,
      ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
    };
    const out = await request(`Query on ${this.table}`, () => this.doc.send(new QueryCommand(input)));
    const next = positionOf(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map(fromItem), ...(next ? { next } : {}) };
  }
}

function toItem(subscription: Subscription): Item {
  const { id, ...rest } = subscription;
  return { ...rest, [SUBSCRIPTION_ID]: id };
}

function fromItem(item: Item): Subscription {
  const { [SUBSCRIPTION_ID]: id, ...rest } = item;
  return { ...rest, id } as unknown as Subscription;
}
