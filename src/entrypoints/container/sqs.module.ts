import { SQSClient } from '@aws-sdk/client-sqs';
import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { SqsDeadLetters } from '../../adapters/sqs/sqs-dead-letters.js';
import { SqsWorkDispatcher } from '../../adapters/sqs/sqs-work-dispatcher.js';
import {
  DEAD_LETTER_QUEUE_URLS,
  QUEUE_URLS,
  SQS_CLIENT,
  type DeadLetterQueueUrls,
  type QueueUrls,
} from '../../adapters/sqs/tokens.js';

/** The work queues in SQS; by default the client is made from the function's environment. */
export function sqsModule(queueUrls: QueueUrls, client: SQSClient = new SQSClient({})): ContainerModule {
  return new ContainerModule((options) => bindSqsQueues(options, client, queueUrls));
}

export function bindSqsQueues({ bind }: ContainerModuleLoadOptions, sqs: SQSClient, queueUrls: QueueUrls): void {
  bind(SQS_CLIENT).toConstantValue(sqs);
  bind(QUEUE_URLS).toConstantValue(queueUrls);
  bind(TOKENS.WorkDispatcher).to(SqsWorkDispatcher).inSingletonScope();
}

/**
 * The dead-letter queues in SQS, to list and redrive (and park in): what an operator's command composes with
 * the work queues (`bindSqsQueues`) against a deployed stack.
 */
export function bindSqsDeadLetters(
  { bind }: ContainerModuleLoadOptions,
  deadLetterQueueUrls: DeadLetterQueueUrls,
): void {
  bind(DEAD_LETTER_QUEUE_URLS).toConstantValue(deadLetterQueueUrls);
  bind(TOKENS.DeadLetters).to(SqsDeadLetters).inSingletonScope();
}
