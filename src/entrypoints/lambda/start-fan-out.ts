import 'reflect-metadata/lite';
import type { Container } from 'inversify';
import { ScanSubscribersPage } from '../../application/use-cases/scan-subscribers-page.js';
import { StartFanOut } from '../../application/use-cases/start-fan-out.js';
import { compose } from '../container/compose.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { sqsModule } from '../container/sqs.module.js';
import { systemModule } from '../container/system.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { lambdaDeadLetterSink } from './dead-letters.js';
import { startFanOutHandler } from './message-handlers.js';

/** Each discovery scans the first page of every subscriber shard itself: subscriptions and steps in DynamoDB, work to SQS. */
export function composeStartFanOut({ settings, aws }: LambdaEnvironment): Container {
  return compose(
    useCasesModule(settings.relay, [StartFanOut, ScanSubscribersPage]),
    dynamoDbModule(aws),
    sqsModule(aws.queueUrls),
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
