import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLES, type TableName } from '../aws-resources.js';

/** The physical name of each table: a prefix (one per stack or test) plus the logical name. */
export type TableNames = Readonly<Record<TableName, string>>;

export const DEFAULT_TABLE_PREFIX = 'feedrelay-';

/** `tableNames('feedrelay-').feeds === 'feedrelay-feeds'`. */
export function tableNames(prefix: string = DEFAULT_TABLE_PREFIX): TableNames {
  const names = {} as Record<TableName, string>;
  for (const key of Object.keys(TABLES) as TableName[]) names[key] = `${prefix}${TABLES[key].name}`;
  return names;
}

/** The document client the adapters expect: plain JS values in and out, `undefined` fields dropped. */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
