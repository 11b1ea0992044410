import 'reflect-metadata/lite';
import type { Container } from 'inversify';
import { ScanFeedsPage } from '../../application/use-cases/scan-feeds-page.js';
import { compose } from '../container/compose.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { sqsModule } from '../container/sqs.module.js';
import { systemModule } from '../container/system.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { lambdaDeadLetterSink } from './dead-letters.js';
import { scanFeedsHandler } from './message-handlers.js';

/** Feeds and steps in DynamoDB, work to SQS: no parsing, no HTTP, no event bus. */
export function composeScanFeeds({ settings, aws }: LambdaEnvironment): Container {
  return compose(
    useCasesModule(settings.relay, [ScanFeedsPage]),
    dynamoDbModule(aws),
    sqsModule(aws.queueUrls),
    systemModule(),
  );
}

/** The scan-feeds queue's consumer: one page of the feed scan, relayed to the next. */
export const handler = onColdStart((environment) =>
  scanFeedsHandler(
    composeScanFeeds(environment).get(ScanFeedsPage),
    environment.logger,
    lambdaDeadLetterSink(environment.aws),
    environment.metrics,
  ),
);
