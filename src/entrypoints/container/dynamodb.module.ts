import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { DynamoDbArticleStore } from '../../adapters/dynamodb/dynamodb-article-store.js';
import { DynamoDbFeedStore } from '../../adapters/dynamodb/dynamodb-feed-store.js';
import { DynamoDbHostPoliteness } from '../../adapters/dynamodb/dynamodb-host-politeness.js';
import { DynamoDbRunStore } from '../../adapters/dynamodb/dynamodb-run-store.js';
import { DynamoDbStepLedger } from '../../adapters/dynamodb/dynamodb-step-ledger.js';
import { DynamoDbSubscriptionStore } from '../../adapters/dynamodb/dynamodb-subscription-store.js';
import { createDocumentClient, tableNames, type TableNames } from '../../adapters/dynamodb/dynamodb-tables.js';
import {
  DYNAMODB_DOCUMENT_CLIENT,
  DYNAMODB_RETENTION,
  DYNAMODB_TABLE_NAMES,
  type Retention,
} from '../../adapters/dynamodb/tokens.js';
import type { AwsConfig } from './aws-config.js';

/** The stores and the step ledger in DynamoDB; by default the client is made from the function's environment. */
export function dynamoDbModule(
  config: Pick<AwsConfig, 'tablePrefix' | 'retention'>,
  client: DynamoDBClient = new DynamoDBClient({}),
): ContainerModule {
  const documentClient = createDocumentClient(client);
  const names = tableNames(config.tablePrefix);
  return new ContainerModule((options) => bindDynamoDbStores(options, documentClient, names, config.retention));
}

export function bindDynamoDbStores(
  { bind }: ContainerModuleLoadOptions,
  documentClient: DynamoDBDocumentClient,
  names: TableNames,
  retention: Retention,
): void {
  bind(DYNAMODB_DOCUMENT_CLIENT).toConstantValue(documentClient);
  bind(DYNAMODB_TABLE_NAMES).toConstantValue(names);
  bind(DYNAMODB_RETENTION).toConstantValue(retention);
  bind(DynamoDbFeedStore).toSelf().inSingletonScope();
  bind(TOKENS.FeedRepository).toService(DynamoDbFeedStore);
  bind(TOKENS.FeedPageReader).toService(DynamoDbFeedStore);
  bind(DynamoDbSubscriptionStore).toSelf().inSingletonScope();
  bind(TOKENS.SubscriptionRepository).toService(DynamoDbSubscriptionStore);
  bind(TOKENS.SubscriberPageReader).toService(DynamoDbSubscriptionStore);
  bind(TOKENS.ArticleStore).to(DynamoDbArticleStore).inSingletonScope();
  bind(TOKENS.StepLedger).to(DynamoDbStepLedger).inSingletonScope();
  bind(TOKENS.RunStore).to(DynamoDbRunStore).inSingletonScope();
  bind(TOKENS.HostPoliteness).to(DynamoDbHostPoliteness).inSingletonScope();
}
