import 'reflect-metadata/lite';
import type { Container } from 'inversify';
import { DeliveryAttempts } from '../../application/delivery-attempts.js';
import { ScanSubscribersPage } from '../../application/use-cases/scan-subscribers-page.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { compose } from '../container/compose.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { sqsModule } from '../container/sqs.module.js';
import { systemModule } from '../container/system.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { lambdaDeadLetterSink } from './dead-letters.js';
import { sinksOnFirstUseModule } from './sinks.js';
import { scanSubscribersHandler } from './message-handlers.js';

/**
 * Subscriptions, steps and articles in DynamoDB, deliveries to SQS; a last page whose recipients make a lone
 * part delivers it here, its sinks loaded on first use.
 */
export function composeScanSubscribers(environment: LambdaEnvironment): Container {
  const { settings, aws } = environment;
  // One client for the stores and the secrets' keyring: one pool of connections to DynamoDB.
  const dynamodb = new DynamoDBClient({});
  return compose(
    useCasesModule(settings.relay, [ScanSubscribersPage, DeliveryAttempts]),
    dynamoDbModule(aws, dynamodb),
    sqsModule(aws.queueUrls),
    sinksOnFirstUseModule(environment, dynamodb),
    systemModule(),
  );
}

/** The scan-subscribers queue's consumer: one page of a feed's subscribers, relayed to the next. */
export const handler = onColdStart((environment) =>
  scanSubscribersHandler(
    composeScanSubscribers(environment).get(ScanSubscribersPage),
    environment.logger,
    lambdaDeadLetterSink(environment.aws),
    environment.metrics,
  ),
);
