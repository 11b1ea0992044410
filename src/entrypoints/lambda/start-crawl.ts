import 'reflect-metadata/lite';
import type { Container } from 'inversify';
import { StartCrawlRun } from '../../application/use-cases/start-crawl-run.js';
import { SummarizeRun } from '../../application/use-cases/summarize-run.js';
import { RunRecordsReader } from '../../application/run-records.js';
import { ResumeRun } from '../../application/use-cases/resume-run.js';
import { compose } from '../container/compose.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { sqsModule } from '../container/sqs.module.js';
import { systemModule } from '../container/system.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { startCrawlHandler } from './message-handlers.js';

/** Runs in DynamoDB, the first scan page to SQS; what earlier runs lost goes to SQS again (`ResumeRun`). */
export function composeStartCrawl({ settings, aws }: LambdaEnvironment): Container {
  return compose(
    useCasesModule(settings.relay, [StartCrawlRun, SummarizeRun, RunRecordsReader, ResumeRun]),
    dynamoDbModule(aws),
    sqsModule(aws.queueUrls),
    systemModule(),
  );
}

/** The schedule's target: starts a crawl run (`{ "force": true }` crawls every feed, due or not). */
export const handler = onColdStart((environment) =>
  startCrawlHandler(composeStartCrawl(environment).get(StartCrawlRun), environment.logger, environment.metrics),
);
