import 'reflect-metadata/lite';
import type { Container } from 'inversify';
import { ScanSubscribersPage } from '../../application/use-cases/scan-subscribers-page.js';
import { compose } from '../container/compose.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { sqsModule } from '../container/sqs.module.js';
import { systemModule } from '../container/system.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { lambdaDeadLetterSink } from './dead-letters.js';
import { scanSubscribersHandler } from './message-handlers.js';

/** Subscriptions and steps in DynamoDB, deliveries to SQS. */
export function composeScanSubscribers({ settings, aws }: LambdaEnvironment): Container {
  return compose(
    useCasesModule(settings.relay, [ScanSubscribersPage]),
    dynamoDbModule(aws),
    sqsModule(aws.queueUrls),
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
