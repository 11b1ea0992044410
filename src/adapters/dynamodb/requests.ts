import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mapBounded } from '../../application/bounded.js';
import { sendWithRetries, type BackoffPolicy } from '../../application/retry.js';
import { InvalidCursorError } from '../../domain/errors.js';
import type { PagePosition } from '../../domain/cursor.js';
import { StoreRequestError, StoreThrottledError } from './errors.js';

/** What `conditional` answers when the write's condition did not hold. */
export const CONDITION_FAILED: unique symbol = Symbol('condition failed');

export type Item = Record<string, unknown>;

/** Runs one request; any failure becomes a `StoreRequestError` naming what was attempted. */
export async function request<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (cause) {
    throw new StoreRequestError(`DynamoDB ${what} failed: ${messageOf(cause)}`, { cause });
  }
}

/** Runs one conditional write; a condition that did not hold is an answer, not a failure. */
export async function conditional<T>(what: string, send: () => Promise<T>): Promise<T | typeof CONDITION_FAILED> {
  try {
    return await send();
  } catch (cause) {
    if (cause instanceof ConditionalCheckFailedException) return CONDITION_FAILED;
    throw new StoreRequestError(`DynamoDB ${what} failed: ${messageOf(cause)}`, { cause });
  }
}

/** Every item a query matches, following LastEvaluatedKey to the end. */
export async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await request(`Query on ${input.TableName}`, () =>
      doc.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) })),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

const BATCH_GET_LIMIT = 100;

/** Unprocessed keys and items are sent again up to 8 times in all, waiting 100 ms, 200 ms … at most 2 s. */
const BATCH_RETRIES: BackoffPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 2_000 };

/**
 * Reads the items with the given (distinct) keys, 100 keys per BatchGetItem, retrying unprocessed keys with
 * exponential back-off and jitter. Missing items are simply absent; the order is not the keys' order.
 */
export async function batchGetAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Item[],
  options: {
    consistentRead: boolean;
    concurrency?: number;
    /** Reads only these attributes (a `ProjectionExpression` and the names it uses). */
    projection?: { expression: string; names: Record<string, string> };
  },
): Promise<Item[]> {
  const items: Item[] = [];
  const projection = options.projection
    ? { ProjectionExpression: options.projection.expression, ExpressionAttributeNames: options.projection.names }
    : {};
  await mapBounded(chunksOf(keys, BATCH_GET_LIMIT), options.concurrency ?? 1, async (chunk) => {
    const left = await sendWithRetries(chunk, BATCH_RETRIES, async (pending) => {
      const out = await request(`BatchGetItem on ${tableName}`, () =>
        doc.send(
          new BatchGetCommand({
            RequestItems: {
              [tableName]: { Keys: [...pending], ConsistentRead: options.consistentRead, ...projection },
            },
          }),
        ),
      );
      items.push(...(out.Responses?.[tableName] ?? []));
      return out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    });
    if (left.length > 0) {
      throw new StoreThrottledError(`DynamoDB BatchGetItem on ${tableName} left ${left.length} keys unprocessed`);
    }
  });
  return items;
}

const BATCH_WRITE_LIMIT = 25;

/**
 * Puts the items (distinct keys), 25 per BatchWriteItem, up to `concurrency` requests at once, retrying
 * unprocessed items with exponential back-off and jitter. Unconditional: an item replaces one with its key.
 */
export async function batchWriteAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Item[],
  options: { concurrency?: number } = {},
): Promise<void> {
  await mapBounded(chunksOf(items, BATCH_WRITE_LIMIT), options.concurrency ?? 8, async (chunk) => {
    const left = await sendWithRetries(chunk, BATCH_RETRIES, async (pending) => {
      const out = await request(`BatchWriteItem on ${tableName}`, () =>
        doc.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: pending.map((Item) => ({ PutRequest: { Item } })) } }),
        ),
      );
      return (out.UnprocessedItems?.[tableName] ?? []).flatMap((entry) =>
        entry.PutRequest?.Item ? [entry.PutRequest.Item] : [],
      );
    });
    if (left.length > 0) {
      throw new StoreThrottledError(`DynamoDB BatchWriteItem on ${tableName} left ${left.length} items unprocessed`);
    }
  });
}

/** The items in runs of `size` (the last one shorter), in order. */
export function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let offset = 0; offset < items.length; offset += size) chunks.push(items.slice(offset, offset + size));
  return chunks;
}

/** The first item of each key, in input order (a later duplicate is ignored, as in the in-memory stores). */
export function distinctBy<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = keyOf(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A LastEvaluatedKey as a page position: the key attributes, which are strings (or numbers) in our tables. */
export function positionOf(lastEvaluatedKey: Item | undefined): PagePosition | undefined {
  if (lastEvaluatedKey === undefined) return undefined;
  const position: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(lastEvaluatedKey)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new StoreRequestError(`DynamoDB returned a non-scalar key attribute ${name}`);
    }
    position[name] = value;
  }
  return position;
}

/** A page position as an ExclusiveStartKey: exactly the named key attributes, each a string. */
export function startKeyOf(position: PagePosition, keyNames: readonly string[]): Item {
  const key: Item = {};
  for (const name of keyNames) {
    const value = position[name];
    if (typeof value !== 'string' || value === '') throw new InvalidCursorError(`page position lacks "${name}"`);
    key[name] = value;
  }
  if (Object.keys(position).length !== keyNames.length) {
    throw new InvalidCursorError(`page position has attributes other than ${keyNames.join(', ')}`);
  }
  return key;
}

/** Validates a page size: DynamoDB's Limit is at least 1. */
export function pageLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`page limit must be a positive integer, not ${limit}`);
  return limit;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
