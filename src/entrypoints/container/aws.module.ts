import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ContainerModule } from 'inversify';
import { createDocumentClient, tableNames } from '../../adapters/dynamodb/dynamodb-tables.js';
import type { AwsConfig } from './aws-config.js';
import { bindDynamoDbStores } from './dynamodb.module.js';
import { bindEventBridgePublisher } from './eventbridge.module.js';
import { bindSqsDeadLetters, bindSqsQueues } from './sqs.module.js';

export { AWS_ENV, QUEUE_URL_ENV, readAwsConfig, readRetention, type AwsConfig } from './aws-config.js';

/** Clients for the AWS module; by default each is made from the function's environment (region, credentials). */
export interface AwsClients {
  readonly dynamodb?: DynamoDBClient;
  readonly sqs?: SQSClient;
  readonly eventBridge?: EventBridgeClient;
}

/**
 * Every AWS adapter at once: the stores, the work queues and their dead letters, and the event bus. A Lambda function loads only the
 * families its handler needs (`dynamoDbModule`, `sqsModule`, `eventBridgeModule`; see `src/entrypoints/lambda`).
 */
export function awsModule(config: AwsConfig, clients: AwsClients = {}): ContainerModule {
  const documentClient = createDocumentClient(clients.dynamodb ?? new DynamoDBClient({}));
  const sqs = clients.sqs ?? new SQSClient({});
  const eventBridge = clients.eventBridge ?? new EventBridgeClient({});
  return new ContainerModule((options) => {
    bindDynamoDbStores(options, documentClient, tableNames(config.tablePrefix), config.retention);
    bindSqsQueues(options, sqs, config.queueUrls);
    bindSqsDeadLetters(options, config.deadLetterQueueUrls);
    bindEventBridgePublisher(options, eventBridge, config.eventBusName);
  });
}
