import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import type { PagePosition } from '../../domain/cursor.js';
import type { Feed } from '../../domain/feed.js';
import type { FeedPageReader, FeedRepository } from '../../application/ports/feed-store.port.js';
import type { Page } from '../../application/ports/page.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import {
  conditional,
  distinctBy,
  forEachLimited,
  pageLimit,
  positionOf,
  request,
  startKeyOf,
  CONDITION_FAILED,
  type Item,
} from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from './tokens.js';

const FEED_ID = TABLES.feeds.partitionKey;

/**
 * The feed table in DynamoDB: one item per feed, added with conditional puts so that a feed is added once,
 * and read a page at a time with a Scan whose LastEvaluatedKey is the page position.
 */
@injectable()
export class DynamoDbFeedStore implements FeedRepository, FeedPageReader {
  private readonly table: string;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
  ) {
    this.table = names.feeds;
  }

  async get(feedId: string): Promise<Feed | undefined> {
    const out = await request(`GetItem on ${this.table}`, () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { [FEED_ID]: feedId }, ConsistentRead: true })),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async addNew(feeds: readonly Feed[]): Promise<Feed[]> {
    const firstOfEachId = distinctBy(feeds, (feed) => feed.id);
    const added = new Set<Feed>();
    await forEachLimited(firstOfEachId, 10, async (feed) => {
      const result = await conditional(`PutItem on ${this.table}`, () =>
        this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: toItem(feed),
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': FEED_ID },
          }),
        ),
      );
      if (result !== CONDITION_FAILED) added.add(feed);
    });
    return firstOfEachId.filter((feed) => added.has(feed));
  }

  async save(feed: Feed): Promise<void> {
    await request(`PutItem on ${this.table}`, () =>
      this.doc.send(new PutCommand({ TableName: this.table, Item: toItem(feed) })),
    );
  }

  async remove(feedId: string): Promise<boolean> {
    const out = await request(`DeleteItem on ${this.table}`, () =>
      this.doc.send(new DeleteCommand({ TableName: this.table, Key: { [FEED_ID]: feedId }, ReturnValues: 'ALL_OLD' })),
    );
    return out.Attributes !== undefined;
  }

  /** One Scan page; eventually consistent, as a sweep over the whole table may be. */
  async readPage(after: PagePosition | undefined, limit: number): Promise<Page<Feed>> {
    const input = {
      TableName: this.table,
      Limit: pageLimit(limit),
      ...(after !== undefined ? { ExclusiveStartKey: startKeyOf(after, [FEED_ID]) } : {}),
    };
    const out = await request(`Scan on ${this.table}`, () => this.doc.send(new ScanCommand(input)));
    const next = positionOf(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map(fromItem), ...(next ? { next } : {}) };
  }
}

function toItem(feed: Feed): Item {
  const { id, ...rest } = feed;
  return { ...rest, [FEED_ID]: id };
}

function fromItem(item: Item): Feed {
  const { [FEED_ID]: id, ...rest } = item;
  return { ...rest, id } as unknown as Feed;
}
