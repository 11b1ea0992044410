import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { DynamoDbDataKeyRing } from '../../adapters/dynamodb/dynamodb-data-key-ring.js';
import { createDocumentClient, tableNames } from '../../adapters/dynamodb/dynamodb-tables.js';
import { DATA_KEY_RING } from '../../adapters/kms/data-key-ring.js';
import {
  KMS_CLIENT,
  KMS_SECRET_OPTIONS,
  KmsSecretCipher,
  type KmsSecretOptions,
} from '../../adapters/kms/kms-secret-cipher.js';

/**
 * Where the KMS cipher keeps its data keys: the keyring partition of the stack's subscriptions table
 * (`KEY_RING`).
 */
export interface KeyRingLocation {
  readonly tablePrefix: string;
  /** By default a client made from the function's environment. */
  readonly client?: DynamoDBClient;
}

/**
 * Webhook secrets sealed and opened with the stack's KMS key (envelope encryption, see `KmsSecretCipher`), the
 * encrypted data keys kept in DynamoDB (`DynamoDbDataKeyRing`).
 */
export function kmsModule(
  options: KmsSecretOptions,
  keyRing: KeyRingLocation,
  client: KMSClient = new KMSClient({}),
): ContainerModule {
  const ring = new DynamoDbDataKeyRing(
    createDocumentClient(keyRing.client ?? new DynamoDBClient({})),
    tableNames(keyRing.tablePrefix),
  );
  return new ContainerModule(({ bind }) => {
    bind(KMS_CLIENT).toConstantValue(client);
    bind(KMS_SECRET_OPTIONS).toConstantValue(options);
    bind(DATA_KEY_RING).toConstantValue(ring);
    bind(TOKENS.SecretCipher).to(KmsSecretCipher).inSingletonScope();
  });
}
