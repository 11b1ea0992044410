import 'reflect-metadata/lite';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Container } from 'inversify';
import { DeliverBatch } from '../../application/use-cases/deliver-batch.js';
import { compose } from '../container/compose.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { sqsModule } from '../container/sqs.module.js';
import { systemModule } from '../container/system.module.js';
import { requireSecretsKey } from '../container/aws-config.js';
import { kmsModule } from '../container/kms.module.js';
import { sqsSinkModule, webhookModule } from '../container/webhook.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { lambdaDeadLetterSink } from './dead-letters.js';
import { deliverHandler } from './message-handlers.js';

/**
 * Signed webhooks (their secrets opened with the stack's KMS key) and subscribers' SQS queues (a client per
 * region), the stores in DynamoDB, retries to SQS.
 */
export function composeDeliver({ settings, aws }: LambdaEnvironment): Container {
  return compose(
    useCasesModule(settings.relay, [DeliverBatch]),
    dynamoDbModule(aws),
    sqsModule(aws.queueUrls),
    webhookModule(settings.webhook),
    sqsSinkModule({ localOrigins: [], clientFor: (region) => new SQSClient(region ? { region } : {}) }),
    kmsModule({ keyId: requireSecretsKey(aws) }),
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
