import 'reflect-metadata/lite';
import type { Container } from 'inversify';
import { DeliverBatch } from '../../application/use-cases/deliver-batch.js';
import { compose } from '../container/compose.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { sqsModule } from '../container/sqs.module.js';
import { systemModule } from '../container/system.module.js';
import { webhookModule } from '../container/webhook.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { lambdaDeadLetterSink } from './dead-letters.js';
import { deliverHandler } from './message-handlers.js';

/** Signed webhooks, the stores in DynamoDB, retries to SQS. */
export function composeDeliver({ settings, aws }: LambdaEnvironment): Container {
  return compose(
    useCasesModule(settings.relay, [DeliverBatch]),
    dynamoDbModule(aws),
    sqsModule(aws.queueUrls),
    webhookModule(settings.webhook),
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
