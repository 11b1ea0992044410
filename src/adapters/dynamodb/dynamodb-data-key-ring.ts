import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import { KEY_RING, TABLES } from '../aws-resources.js';
import { DataKeyRingConflictError, requireDataKeyId, type DataKeyRing } from '../kms/data-key-ring.js';
import type { TableNames } from './dynamodb-tables.js';
import { StoreRequestError } from './errors.js';
import { conditional, request, CONDITION_FAILED } from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from './tokens.js';

const PARTITION = TABLES[KEY_RING.table].partitionKey;
const SORT = TABLES[KEY_RING.table].sortKey;

/**
 * The keyring in DynamoDB: one item per data key in the `keyring` partition of the subscriptions table
 * (`feedShard = keyring`, `subscriptionId = <id>`, `encryptedKey` binary), a table without TTL that is kept
 * with the stack's key (see `KEY_RING`). Kept with one
 * conditional PutItem that succeeds only if the id is new or already holds the same key; read with a strongly
 * consistent GetItem (once per data key and process: the cipher caches what it opened).
 */
@injectable()
export class DynamoDbDataKeyRing implements DataKeyRing {
  private readonly table: string;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
  ) {
    this.table = names[KEY_RING.table];
  }

  async keep(keyId: string, encryptedKey: Uint8Array): Promise<void> {
    const key = Uint8Array.from(encryptedKey);
    const result = await conditional(`PutItem on ${this.table}`, () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keyOf(keyId), encryptedKey: key },
          ConditionExpression: 'attribute_not_exists(#partition) OR #key = :key',
          ExpressionAttributeNames: { '#partition': PARTITION, '#key': 'encryptedKey' },
          ExpressionAttributeValues: { ':key': key },
        }),
      ),
    );
    if (result === CONDITION_FAILED) {
      throw new DataKeyRingConflictError(`data key ${keyId} is already kept with another encrypted key`);
    }
  }

  async find(keyId: string): Promise<Uint8Array | undefined> {
    const out = await request(`GetItem on ${this.table}`, () =>
      this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: keyOf(keyId),
          ConsistentRead: true,
          ProjectionExpression: '#key',
          ExpressionAttributeNames: { '#key': 'encryptedKey' },
        }),
      ),
    );
    const kept: unknown = out.Item?.encryptedKey;
    if (kept === undefined) return undefined;
    if (!(kept instanceof Uint8Array)) {
      throw new StoreRequestError(`DynamoDB holds data key ${keyId} as something other than bytes`);
    }
    return kept;
  }
}

function keyOf(keyId: string): Record<string, string> {
  return { [PARTITION]: KEY_RING.partition, [SORT]: requireDataKeyId(keyId) };
}
