import 'reflect-metadata/lite';
import { ContainerModule, type Container } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { DeliveryAttempts } from '../../application/delivery-attempts.js';
import { DeliverBatch } from '../../application/use-cases/deliver-batch.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { compose } from '../container/compose.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { systemModule } from '../container/system.module.js';
import { requireSecretsKey } from '../container/aws-config.js';
import { webhookModule } from '../container/webhook.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { lambdaDeadLetterSink } from './dead-letters.js';
import { kmsOnFirstUse, workOnFirstUse } from './adapters-on-first-use.js';
import { sqsSinkOnFirstUse } from './sinks.js';
import { deliverHandler } from './message-handlers.js';

/**
 * Signed webhooks (their secrets opened with the stack's KMS key) and subscribers' SQS queues (a client per
 * region), the stores in DynamoDB, retries to SQS. KMS loads on first use: when the first webhook's secret is
 * opened (a cold start's first `Decrypt` needs it anyway); a batch of queues, or of nothing left to deliver,
 * never loads it. SQS loads on first use too: when a delivery is to be retried, or a recipient is a queue.
 */
export function composeDeliver({ settings, aws }: LambdaEnvironment): Container {
  const keyId = requireSecretsKey(aws);
  // One client for the stores and the secrets' keyring: one pool of connections to DynamoDB.
  const dynamodb = new DynamoDBClient({});
  return compose(
    useCasesModule(settings.relay, [DeliverBatch, DeliveryAttempts]),
    dynamoDbModule(aws, dynamodb),
    workOnFirstUse(aws.queueUrls),
    webhookModule(settings.webhook),
    new ContainerModule(({ bind }) => {
      bind(TOKENS.NotificationSink).toConstantValue(sqsSinkOnFirstUse());
    }),
    kmsOnFirstUse(keyId, aws.tablePrefix, dynamodb),
    systemModule(),
  );
}

/** The deliver queue's consumer: one page of recipients per message, POSTed concurrently; retries carry only who needs one. */
export const handler = onColdStart((environment) =>
  deliverHandler(
    composeDeliver(environment).get(DeliverBatch),
    environment.logger,
    lambdaDeadLetterSink(environment.aws),
    environment.metrics,
  ),
);
