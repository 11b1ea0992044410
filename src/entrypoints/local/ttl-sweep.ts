import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchWriteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLES, type TableName } from '../../adapters/aws-resources.js';
import type { TableNames } from '../../adapters/dynamodb/dynamodb-tables.js';

/** How often the embedded stack sweeps: DynamoDB's own TTL also deletes within days, not at the second. */
export const SWEEP_INTERVAL_MS = 24 * 60 * 60 * 1000;

const STAMP_FILE = 'last-ttl-sweep';

/**
 * Deletes the items whose TTL attribute lies in the past, as DynamoDB's TTL would: dynalite has no TTL of
 * its own. Reads each table with a TTL a page at a time (only the keys of expired items), deletes 25 to a
 * request. Returns how many items went, per table.
 */
export async function sweepExpired(
  doc: DynamoDBDocumentClient,
  names: TableNames,
  now: Date,
): Promise<Partial<Record<TableName, number>>> {
  const swept: Partial<Record<TableName, number>> = {};
  for (const [key, definition] of Object.entries(TABLES) as [TableName, (typeof TABLES)[TableName]][]) {
    if (!('timeToLiveAttribute' in definition)) continue;
    const keyNames = [definition.partitionKey, ...('sortKey' in definition ? [definition.sortKey] : [])];
    let start: Record<string, unknown> | undefined;
    let count = 0;
    do {
      const page = await doc.send(
        new ScanCommand({
          TableName: names[key],
          FilterExpression: '#ttl < :now',
          ProjectionExpression: keyNames.map((_, i) => `#k${i}`).join(', '),
          ExpressionAttributeNames: {
            '#ttl': definition.timeToLiveAttribute,
            ...Object.fromEntries(keyNames.map((name, i) => [`#k${i}`, name])),
          },
          ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const expired = page.Items ?? [];
      for (let at = 0; at < expired.length; at += 25) {
        let pending = expired.slice(at, at + 25).map((Key) => ({ DeleteRequest: { Key } }));
        while (pending.length > 0) {
          const out = await doc.send(new BatchWriteCommand({ RequestItems: { [names[key]]: pending } }));
          pending = (out.UnprocessedItems?.[names[key]] ?? []) as typeof pending;
        }
      }
      count += expired.length;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    if (count > 0) swept[key] = count;
  }
  return swept;
}

/** Sweeps when the last sweep of this data directory is older than `SWEEP_INTERVAL_MS` (or never happened). */
export async function sweepIfDue(
  dataDir: string,
  doc: DynamoDBDocumentClient,
  names: TableNames,
  now: Date,
): Promise<Partial<Record<TableName, number>> | undefined> {
  const stamp = join(dataDir, STAMP_FILE);
  const last = Number(await readFile(stamp, 'utf8').catch(() => '0'));
  if (Number.isFinite(last) && now.getTime() - last < SWEEP_INTERVAL_MS) return undefined;
  const swept = await sweepExpired(doc, names, now);
  await writeFile(stamp, String(now.getTime()));
  return swept;
}
