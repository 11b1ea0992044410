import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

const item = (shard: string, id: string, extra: Record<string, unknown> = {}) => ({
  feedShard: shard,
  subscriptionId: id,
  ...extra,
});

async function partition(table: string, shard: string): Promise<Record<string, unknown>[]> {
  const out = await doc.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'feedShard = :p',
      ExpressionAttributeValues: { ':p': shard },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

describe('BatchWriteItem on the embedded DynamoDB (its own thread, tables on disk)', () => {
  it('puts every item of a request, replacing the one with the same key, and deletes', async () => {
    const table = (await freshTables()).subscriptions;
    const first = Array.from({ length: 25 }, (_, i) => item('f#0', `s${String(i).padStart(2, '0')}`, { n: i }));
    await doc.send(
      new BatchWriteCommand({ RequestItems: { [table]: first.map((Item) => ({ PutRequest: { Item } })) } }),
    );

    const out = await doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [table]: [
            { PutRequest: { Item: item('f#0', 's00', { n: 100, sink: { kind: 'webhook' } }) } },
            { DeleteRequest: { Key: { feedShard: 'f#0', subscriptionId: 's01' } } },
            { DeleteRequest: { Key: { feedShard: 'f#0', subscriptionId: 'never-there' } } },
          ],
        },
      }),
    );

    expect(out.UnprocessedItems).toEqual({});
    const stored = await partition(table, 'f#0');
    expect(stored).toHaveLength(24);
    expect(stored[0]).toEqual(item('f#0', 's00', { n: 100, sink: { kind: 'webhook' } }));
    expect(stored.map((s) => s.subscriptionId)).not.toContain('s01');
    expect(stored.find((s) => s.subscriptionId === 's24')).toEqual(item('f#0', 's24', { n: 24 }));
  });

  it('refuses a request naming one key twice, and writes none of it', async () => {
    const table = (await freshTables()).subscriptions;

    const sent = doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [table]: [
            { PutRequest: { Item: item('f#0', 'a') } },
            { PutRequest: { Item: item('f#0', 'b') } },
            { DeleteRequest: { Key: { feedShard: 'f#0', subscriptionId: 'a' } } },
          ],
        },
      }),
    );

    await expect(sent).rejects.toThrow('Provided list of item keys contains duplicates');
    expect(await partition(table, 'f#0')).toEqual([]);
  });

  it('refuses an item without its sort key, and writes none of the request', async () => {
    const table = (await freshTables()).subscriptions;

    const sent = doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [table]: [{ PutRequest: { Item: item('f#0', 'a') } }, { PutRequest: { Item: { feedShard: 'f#0' } } }],
        },
      }),
    );

    await expect(sent).rejects.toThrow('The provided key element does not match the schema');
    expect(await partition(table, 'f#0')).toEqual([]);
  });

  it('refuses a table that does not exist', async () => {
    const sent = doc.send(
      new BatchWriteCommand({ RequestItems: { 'no-such-table': [{ PutRequest: { Item: item('f#0', 'a') } }] } }),
    );

    await expect(sent).rejects.toThrow(/resource not found/i);
  });

  it('answers the consumed capacity when asked, as DynamoDB does', async () => {
    const table = (await freshTables()).subscriptions;

    const out = await doc.send(
      new BatchWriteCommand({
        RequestItems: { [table]: [{ PutRequest: { Item: item('f#0', 'a') } }] },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );

    expect(out.ConsumedCapacity).toEqual([{ TableName: table, CapacityUnits: 1 }]);
    expect(await partition(table, 'f#0')).toHaveLength(1);
  });

  it('never loses a put to an update of the same item running alongside (both hold the item lock)', async () => {
    const table = (await freshTables()).subscriptions;
    const ids = Array.from({ length: 250 }, (_, i) => `s${i}`);
    const batches = Array.from({ length: 10 }, (_, b) =>
      doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [table]: ids
              .slice(b * 25, b * 25 + 25)
              .map((id) => ({ PutRequest: { Item: item('f#0', id, { put: true }) } })),
          },
        }),
      ),
    );
    const updates = ids.flatMap((id) =>
      [1, 2].map(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { feedShard: 'f#0', subscriptionId: id },
            UpdateExpression: 'ADD n :one',
            ExpressionAttributeValues: { ':one': 1 },
          }),
        ),
      ),
    );

    await Promise.all([...batches, ...updates]);

    // An update that read the item before the put and wrote after it would have dropped `put`.
    const stored = await partition(table, 'f#0');
    expect(stored).toHaveLength(250);
    expect(stored.filter((s) => s.put !== true)).toEqual([]);
  });
});

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
