import { SQSClient } from '@aws-sdk/client-sqs';
import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { SqsWorkDispatcher } from '../../adapters/sqs/sqs-work-dispatcher.js';
import { QUEUE_URLS, SQS_CLIENT, type QueueUrls } from '../../adapters/sqs/tokens.js';

/** The work queues in SQS; by default the client is made from the function's environment. */
export function sqsModule(queueUrls: QueueUrls, client: SQSClient = new SQSClient({})): ContainerModule {
  return new ContainerModule((options) => bindSqsQueues(options, client, queueUrls));
}

export function bindSqsQueues({ bind }: ContainerModuleLoadOptions, sqs: SQSClient, queueUrls: QueueUrls): void {
  bind(SQS_CLIENT).toConstantValue(sqs);
  bind(QUEUE_URLS).toConstantValue(queueUrls);
  bind(TOKENS.WorkDispatcher).to(SqsWorkDispatcher).inSingletonScope();
}
