import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbSubscriptionStore } from '../../src/adapters/dynamodb/dynamodb-subscription-store.js';
import { createDocumentClient, tableNames, type TableNames } from '../../src/adapters/dynamodb/dynamodb-tables.js';
import { createTables } from '../../src/entrypoints/local/create-tables.js';
import { prewarmDynaliteThread, type DynaliteThread } from '../../src/entrypoints/local/dynalite-thread.js';
import { localClientConfig, startEmbeddedDynamoDb } from '../../src/entrypoints/local/embedded-dynamodb.js';
import { describeSubscriptionStoreContract } from '../contract/subscription-store.contract.js';

let dataDir: string;
let dynamo: DynaliteThread;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let prefixes = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'feedrelay-dynalite-thread-'));
  dynamo = await startEmbeddedDynamoDb(dataDir);
  client = new DynamoDBClient({ ...localClientConfig(1), endpoint: `http://127.0.0.1:${dynamo.port}` });
  doc = createDocumentClient(client);
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function freshTables(): Promise<TableNames> {
  const names = tableNames(`thread${++prefixes}-`);
  await createTables(client, names, { only: ['subscriptions'] });
  return names;
}

/** A subscriptions-table item of one shard. */
const item = (shard: string, id: string) => ({ feedShard: shard, subscriptionId: id });

describe('prewarmDynaliteThread', () => {
  it('loads dynalite ahead of need touching no file, and the next start serves the store it is given', async () => {
    const elsewhere = join(dataDir, 'prewarmed');
    prewarmDynaliteThread();
    // Time for the thread to load dynalite: it still must not have made the data directory.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expect(access(elsewhere)).rejects.toMatchObject({ code: 'ENOENT' });

    const started = await startEmbeddedDynamoDb(elsewhere);
    const other = new DynamoDBClient({ ...localClientConfig(1), endpoint: `http://127.0.0.1:${started.port}` });
    try {
      const names = tableNames('warm-');
      await createTables(other, names, { only: ['subscriptions'] });
      const otherDoc = createDocumentClient(other);
      await otherDoc.send(
        new BatchWriteCommand({
          RequestItems: { [names.subscriptions]: [{ PutRequest: { Item: item('f#0', 'a') } }] },
        }),
      );
      const out = await otherDoc.send(
        new QueryCommand({
          TableName: names.subscriptions,
          KeyConditionExpression: 'feedShard = :p',
          ExpressionAttributeValues: { ':p': 'f#0' },
        }),
      );
      expect(out.Items).toEqual([item('f#0', 'a')]);
      await access(join(elsewhere, 'dynamodb'));
    } finally {
      other.destroy();
      await started.close();
    }
  });
});

describeSubscriptionStoreContract(
  'DynamoDbSubscriptionStore on the embedded DynamoDB thread',
  async () => new DynamoDbSubscriptionStore(doc, await freshTables()),
  { numRuns: 10 },
);
