import 'reflect-metadata/lite';
import type { Container } from 'inversify';
import { StartFanOut } from '../../application/use-cases/start-fan-out.js';
import { compose } from '../container/compose.js';
import { sqsModule } from '../container/sqs.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { startFanOutHandler } from './message-handlers.js';

/** Only SQS: each discovery becomes the first page of its subscriber scan. */
export function composeStartFanOut({ settings, aws }: LambdaEnvironment): Container {
  return compose(useCasesModule(settings.relay, [StartFanOut]), sqsModule(aws.queueUrls));
}

/** The start-fan-out queue's consumer: each ArticlesDiscovered event starts the subscriber relay. */
export const handler = onColdStart((environment) =>
  startFanOutHandler(composeStartFanOut(environment).get(StartFanOut), environment.logger),
);
