import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { TableName } from '../../../src/adapters/aws-resources.js';
import { createDocumentClient, tableNames, type TableNames } from '../../../src/adapters/dynamodb/dynamodb-tables.js';
import { createTables } from '../../../src/entrypoints/local/create-tables.js';

/** A dynalite server in this process, on an ephemeral loopback port, with clients pointed at it. */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** Destroys the clients, then closes the server (and its LevelDB store). */
  close(): Promise<void>;
}

export async function startDynalite(options: { path?: string } = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...options });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    endpoint,
    client,
    doc: createDocumentClient(client),
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

let stacks = 0;

/**
 * The tables of a stack of their own (all of them, or `only` those), under a prefix no other call in this process
 * has used: every test that asks starts with empty tables on the one server.
 */
export async function freshStack(
  dynamo: LocalDynamo,
  only?: readonly TableName[],
): Promise<{ readonly prefix: string; readonly names: TableNames }> {
  const prefix = `test${++stacks}-`;
  const names = tableNames(prefix);
  await createTables(dynamo.client, names, only ? { only } : {});
  return { prefix, names };
}
