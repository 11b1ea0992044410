import 'reflect-metadata/lite';
import type { Container } from 'inversify';
import { DeliveryAttempts } from '../../application/delivery-attempts.js';
import { ScanSubscribersPage } from '../../application/use-cases/scan-subscribers-page.js';
import { StartFanOut } from '../../application/use-cases/start-fan-out.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { compose } from '../container/compose.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { systemModule } from '../container/system.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { workOnFirstUse } from './adapters-on-first-use.js';
import { lambdaDeadLetterSink } from './dead-letters.js';
import { sinksOnFirstUseModule } from './sinks.js';
import { startFanOutHandler } from './message-handlers.js';

/**
 * Each discovery scans the first page of every subscriber shard itself: subscriptions, steps and articles in
 * DynamoDB, work to SQS; a lone part of recipients is delivered here, its sinks loaded on first use. SQS loads
 * on first use too: a feed of up to `recipientsPerDelivery` subscribers a shard (most feeds) is delivered here
 * and sends nothing; a larger one, or one of more shards than are scanned inline, loads it to send its parts.
 */
export function composeStartFanOut(environment: LambdaEnvironment): Container {
  const { settings, aws } = environment;
  // One client for the stores and the secrets' keyring: one pool of connections to DynamoDB.
  const dynamodb = new DynamoDBClient({});
  return compose(
    useCasesModule(settings.relay, [StartFanOut, ScanSubscribersPage, DeliveryAttempts]),
    dynamoDbModule(aws, dynamodb),
    workOnFirstUse(aws.queueUrls),
    sinksOnFirstUseModule(environment, dynamodb),
    systemModule(),
  );
}

/** The start-fan-out queue's consumer: each ArticlesDiscovered event starts the subscriber relay. */
export const handler = onColdStart((environment) =>
  startFanOutHandler(
    composeStartFanOut(environment).get(StartFanOut),
    environment.logger,
    lambdaDeadLetterSink(environment.aws),
    environment.metrics,
  ),
);
