import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ContainerModule } from 'inversify';
import type { QueueUrls } from '../../adapters/sqs/tokens.js';
import { TOKENS } from '../../application/tokens.js';
import { compose } from '../container/compose.js';
import { systemModule } from '../container/system.module.js';
import { firstUseModule } from './first-use.js';

/**
 * Webhook secrets sealed and opened with the stack's KMS key (`kmsModule`), the KMS client loaded on the first
 * seal or open: a cold start loads none of it, and the first invocation that seals or opens a secret loads it
 * once (its first `Decrypt` or `GenerateDataKey` would need the client then anyway). The data keys' keyring is
 * in the tables under `tablePrefix`, read and written with the function's DynamoDB client (`dynamodb`: the
 * one its stores use, and its connections).
 */
export function kmsOnFirstUse(keyId: string, tablePrefix: string, dynamodb: DynamoDBClient): ContainerModule {
  return firstUseModule(TOKENS.SecretCipher, { seal: true, open: true }, async () => {
    const { kmsModule } = await import('../container/kms.module.js');
    return compose(kmsModule({ keyId }, { tablePrefix, client: dynamodb }), systemModule()).get(TOKENS.SecretCipher);
  });
}

/** Work sent to the stack's queues (`sqsModule`), the SQS client loaded with the first message sent. */
export function workOnFirstUse(queueUrls: QueueUrls): ContainerModule {
  return firstUseModule(TOKENS.WorkDispatcher, { dispatch: true }, async () => {
    const { sqsModule } = await import('../container/sqs.module.js');
    return compose(sqsModule(queueUrls)).get(TOKENS.WorkDispatcher);
  });
}
