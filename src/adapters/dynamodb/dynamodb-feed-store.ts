import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import { mapBounded } from '../../application/bounded.js';
import type { PagePosition } from '../../domain/cursor.js';
import { FEED_UPDATE_ATTRIBUTES, layoutOf, type Feed, type FeedLayout, type FeedUpdate } from '../../domain/feed.js';
import { grownShardCount } from '../../domain/subscription.js';
import type {
  CommitResult,
  FeedPageReader,
  FeedRepository,
  ScanSegment,
} from '../../application/ports/feed-store.port.js';
import type { Page } from '../../application/ports/page.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import {
  batchGetAll,
  conditional,
  distinctBy,
  pageLimit,
  positionOf,
  request,
  startKeyOf,
  CONDITION_FAILED,
  type Item,
} from './requests.js';
import { StoreRequestError } from './errors.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from './tokens.js';

const FEED_ID = TABLES.feeds.partitionKey;

/**
 * The feed table in DynamoDB: one item per feed, added with conditional puts so that a feed is added once,
 * changed only by writes conditional on its version (optimistic concurrency), and read a page at a time
 * with a (parallel) Scan whose LastEvaluatedKey is the page position.
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

  /** One BatchGetItem per 100 feeds, of the attributes of the layout only. */
  async layoutsOf(feedIds: readonly string[]): Promise<Map<string, FeedLayout>> {
    const keys = [...new Set(feedIds)].map((id) => ({ [FEED_ID]: id }));
    const items = await batchGetAll(this.doc, this.table, keys, {
      consistentRead: true,
      concurrency: 4,
      projection: {
        expression: '#id, #shards, #level, #unpacked',
        names: { '#id': FEED_ID, '#shards': 'subscriberShards', '#level': 'packLevel', '#unpacked': 'unpacked' },
      },
    });
    // `layoutOf` reads the attributes as it reads a feed's: K 1 when absent, a level only if it is a number.
    return new Map(items.map((item) => [String(item[FEED_ID]), layoutOf(item as Parameters<typeof layoutOf>[0])]));
  }

  async addNew(feeds: readonly Feed[]): Promise<Feed[]> {
    const firstOfEachId = distinctBy(feeds, (feed) => feed.id);
    const added = new Set<Feed>();
    await mapBounded(firstOfEachId, 10, async (feed) => {
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

  async commit(feedId: string, expectedVersion: number, update: FeedUpdate): Promise<CommitResult> {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':expected': expectedVersion, ':next': expectedVersion + 1 };
    const sets = ['#version = :next'];
    const removes: string[] = [];
    FEED_UPDATE_ATTRIBUTES.forEach((attribute, i) => {
      names[`#a${i}`] = attribute;
      const value = update[attribute];
      if (value === undefined) removes.push(`#a${i}`);
      else {
        sets.push(`#a${i} = :v${i}`);
        values[`:v${i}`] = attribute === 'seen' ? packSeen(value as string) : value;
      }
    });
    const result = await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [FEED_ID]: feedId },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          // Also false for a missing item: a feed removed meanwhile is not brought back. A feed stored before
          // versions existed is at version 0.
          ConditionExpression:
            expectedVersion === 0
              ? '#version = :expected OR (attribute_not_exists(#version) AND attribute_exists(#id))'
              : '#version = :expected',
          ExpressionAttributeNames: expectedVersion === 0 ? { ...names, '#id': FEED_ID } : names,
          ExpressionAttributeValues: values,
          // The count and shards as they stand at the commit (no read capacity is spent on returned values).
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result === CONDITION_FAILED) return 'conflict';
    const subscribers = result.Attributes?.subscribers;
    return {
      ...(typeof subscribers === 'number' ? { subscribers } : {}),
      subscriberShards: Number(result.Attributes?.subscriberShards ?? 1),
    };
  }

  async remove(feedId: string): Promise<boolean> {
    const out = await request(`DeleteItem on ${this.table}`, () =>
      this.doc.send(new DeleteCommand({ TableName: this.table, Key: { [FEED_ID]: feedId }, ReturnValues: 'ALL_OLD' })),
    );
    return out.Attributes !== undefined;
  }

  /**
   * One UpdateItem ADD for the count; when the count passed K × `perShard`, one conditional UpdateItem that
   * raises K only if it is still below the new value (a racing writer may have raised it already).
   */
  async addSubscribers(
    feedId: string,
    added: number,
    perShard: number,
  ): Promise<{ subscribers: number; subscriberShards: number }> {
    const counted = await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [FEED_ID]: feedId },
          UpdateExpression: 'ADD #subscribers :added SET #unpacked = :true',
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: { '#id': FEED_ID, '#subscribers': 'subscribers', '#unpacked': 'unpacked' },
          ExpressionAttributeValues: { ':added': added, ':true': true },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (counted === CONDITION_FAILED) throw new StoreRequestError(`no feed ${feedId} to count subscribers of`);
    const subscribers = Number(counted.Attributes?.subscribers ?? added);
    const current = Number(counted.Attributes?.subscriberShards ?? 1);
    const grown = grownShardCount(current, subscribers, perShard);
    if (grown === current) return { subscribers, subscriberShards: current };
    const raised = await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [FEED_ID]: feedId },
          UpdateExpression: 'SET #shards = :grown',
          ConditionExpression: 'attribute_exists(#id) AND (attribute_not_exists(#shards) OR #shards < :grown)',
          ExpressionAttributeNames: { '#id': FEED_ID, '#shards': 'subscriberShards' },
          ExpressionAttributeValues: { ':grown': grown },
        }),
      ),
    );
    if (raised !== CONDITION_FAILED) return { subscribers, subscriberShards: grown };
    const now = await this.get(feedId);
    return { subscribers, subscriberShards: Math.max(grown, now?.subscriberShards ?? 1) };
  }

  /** One Scan page of one segment; eventually consistent, as a sweep over the whole table may be. */
  async readPage(after: PagePosition | undefined, limit: number, segment?: ScanSegment): Promise<Page<Feed>> {
    const input = {
      TableName: this.table,
      Limit: pageLimit(limit),
      ...(segment !== undefined && segment.segments > 1
        ? { Segment: segment.segment, TotalSegments: segment.segments }
        : {}),
      ...(after !== undefined ? { ExclusiveStartKey: startKeyOf(after, [FEED_ID]) } : {}),
    };
    const out = await request(`Scan on ${this.table}`, () => this.doc.send(new ScanCommand(input)));
    const next = positionOf(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map(fromItem), ...(next ? { next } : {}) };
  }

  /** DynamoDB's item count, refreshed about every six hours: enough to size a scan. */
  async approximateCount(): Promise<number | undefined> {
    const out = await request(`DescribeTable on ${this.table}`, () =>
      this.doc.send(new DescribeTableCommand({ TableName: this.table })),
    );
    return out.Table?.ItemCount;
  }
}

function toItem(feed: Feed): Item {
  const { id, seen, ...rest } = feed;
  return { ...rest, ...(seen !== undefined ? { seen: packSeen(seen) } : {}), [FEED_ID]: id };
}

function fromItem(item: Item): Feed {
  const { [FEED_ID]: id, seen, ...rest } = item;
  return { version: 0, ...rest, ...(seen !== undefined ? { seen: unpackSeen(seen) } : {}), id } as unknown as Feed;
}

/**
 * The recent-article set (hex keys, see `recent-articles.ts`) is stored as binary: half the bytes, and so about
 * half the write units of every commit and the read units of every scan, at steady state (200 keys: 1.2 KB
 * instead of 2.4 KB). A set that is not hex, or was stored before (a string), is kept and read as it is.
 */
function packSeen(seen: string): string | Buffer {
  return seen.length > 0 && seen.length % 2 === 0 && /^[0-9a-f]+$/.test(seen) ? Buffer.from(seen, 'hex') : seen;
}

function unpackSeen(stored: unknown): string {
  return stored instanceof Uint8Array ? Buffer.from(stored).toString('hex') : String(stored);
}
