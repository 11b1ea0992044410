import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { TABLES, type TableDefinition, type TableName } from '../../adapters/aws-resources.js';
import type { TableNames } from '../../adapters/dynamodb/dynamodb-tables.js';
import { sleep } from '../../application/retry.js';

/**
 * Creates every table of `TABLES` (on-demand billing, the key schema of its definition) under its physical
 * name and waits until each is ACTIVE. Idempotent: a table that exists already is fine. Meant for the
 * embedded stack and tests; in AWS the CDK app creates the tables (with their TTL attribute, which this
 * does not set: dynalite has no UpdateTimeToLive).
 */
export async function createTables(
  client: DynamoDBClient,
  names: TableNames,
  options: { only?: readonly TableName[]; timeoutMs?: number } = {},
): Promise<void> {
  const keys = options.only ?? (Object.keys(TABLES) as TableName[]);
  await Promise.all(
    keys.map(async (key) => {
      const tableName = names[key];
      try {
        await client.send(
          new CreateTableCommand({ TableName: tableName, BillingMode: 'PAY_PER_REQUEST', ...keySchemaOf(TABLES[key]) }),
        );
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await waitUntilActive(client, tableName, options.timeoutMs ?? 120_000);
    }),
  );
}

function keySchemaOf(table: TableDefinition): {
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
} {
  const AttributeDefinitions: AttributeDefinition[] = [{ AttributeName: table.partitionKey, AttributeType: 'S' }];
  const KeySchema: KeySchemaElement[] = [{ AttributeName: table.partitionKey, KeyType: 'HASH' }];
  if (table.sortKey !== undefined) {
    AttributeDefinitions.push({ AttributeName: table.sortKey, AttributeType: 'S' });
    KeySchema.push({ AttributeName: table.sortKey, KeyType: 'RANGE' });
  }
  return { AttributeDefinitions, KeySchema };
}

async function waitUntilActive(client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 25; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
    } catch (error) {
      // Eventually consistent right after CreateTable in AWS: the table may not be visible yet.
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (Date.now() + delay > deadline)
      throw new Error(`table ${tableName} did not become ACTIVE within ${timeoutMs} ms`);
    await sleep(delay);
  }
}
