import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { ConfigurationError } from '../../application/errors.js';
import { TOKENS } from '../../application/tokens.js';
import { QUEUES, type QueueKey } from '../../adapters/aws-resources.js';
import { DynamoDbArticleStore } from '../../adapters/dynamodb/dynamodb-article-store.js';
import { DynamoDbFeedStore } from '../../adapters/dynamodb/dynamodb-feed-store.js';
import { DynamoDbRunStore } from '../../adapters/dynamodb/dynamodb-run-store.js';
import { DynamoDbStepLedger } from '../../adapters/dynamodb/dynamodb-step-ledger.js';
import { DynamoDbSubscriptionStore } from '../../adapters/dynamodb/dynamodb-subscription-store.js';
import { createDocumentClient, tableNames, type TableNames } from '../../adapters/dynamodb/dynamodb-tables.js';
import {
  DEFAULT_RETENTION,
  DYNAMODB_DOCUMENT_CLIENT,
  DYNAMODB_RETENTION,
  DYNAMODB_TABLE_NAMES,
  type Retention,
} from '../../adapters/dynamodb/tokens.js';
import { EventBridgeEventPublisher } from '../../adapters/eventbridge/eventbridge-event-publisher.js';
import { InProcessEventBus } from '../../adapters/eventbridge/in-process-event-bus.js';
import { EVENT_BUS_NAME, EVENTBRIDGE_CLIENT } from '../../adapters/eventbridge/tokens.js';
import { SqsWorkDispatcher } from '../../adapters/sqs/sqs-work-dispatcher.js';
import { QUEUE_URLS, SQS_CLIENT, type QueueUrls } from '../../adapters/sqs/tokens.js';
import type { EmbeddedStack } from '../local/embedded-stack.js';

/** The environment variables a Lambda function reads its AWS settings from (set by the CDK app). */
export const AWS_ENV = {
  tablePrefix: 'FEEDRELAY_TABLE_PREFIX',
  eventBusName: 'FEEDRELAY_EVENT_BUS_NAME',
  articleRetentionDays: 'FEEDRELAY_ARTICLE_RETENTION_DAYS',
  runRetentionDays: 'FEEDRELAY_RUN_RETENTION_DAYS',
} as const;

/** `FEEDRELAY_QUEUE_URL_<QUEUE NAME>`, e.g. `FEEDRELAY_QUEUE_URL_FETCH_FEED` for the `fetch-feed` queue. */
export const QUEUE_URL_ENV: Readonly<Record<QueueKey, string>> = Object.fromEntries(
  (Object.keys(QUEUES) as QueueKey[]).map((key) => [
    key,
    `FEEDRELAY_QUEUE_URL_${QUEUES[key].name.toUpperCase().replace(/-/g, '_')}`,
  ]),
) as Record<QueueKey, string>;

export interface AwsConfig {
  /** Physical table name = prefix + logical name (see `TABLES`). */
  readonly tablePrefix: string;
  readonly queueUrls: QueueUrls;
  readonly eventBusName: string;
  /** How long articles and run records are kept (DynamoDB TTL). */
  readonly retention: Retention;
}

/** Reads the retention (whole days) from the environment; unset keeps the default. */
export function readRetention(env: Readonly<Record<string, string | undefined>>): Retention {
  const days = (name: string, fallbackSeconds: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallbackSeconds;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ConfigurationError(
        `environment variable ${name} must be a whole number of days, got ${JSON.stringify(raw)}`,
      );
    }
    return value * 24 * 60 * 60;
  };
  return {
    articleSeconds: days(AWS_ENV.articleRetentionDays, DEFAULT_RETENTION.articleSeconds),
    runSeconds: days(AWS_ENV.runRetentionDays, DEFAULT_RETENTION.runSeconds),
  };
}

/** Reads and checks the AWS settings once, at cold start; a missing or malformed one names its variable. */
export function readAwsConfig(env: Readonly<Record<string, string | undefined>>): AwsConfig {
  const required = (name: string, allowEmpty = false): string => {
    const value = env[name];
    if (value === undefined || (!allowEmpty && value.trim() === '')) {
      throw new ConfigurationError(`environment variable ${name} is not set`);
    }
    return value.trim();
  };
  const queueUrls = {} as Record<QueueKey, string>;
  for (const key of Object.keys(QUEUES) as QueueKey[]) {
    const name = QUEUE_URL_ENV[key];
    const value = required(name);
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      throw new ConfigurationError(`environment variable ${name} is not a queue URL: ${JSON.stringify(value)}`);
    }
    queueUrls[key] = value;
  }
  return {
    tablePrefix: required(AWS_ENV.tablePrefix, true),
    queueUrls,
    eventBusName: required(AWS_ENV.eventBusName),
    retention: readRetention(env),
  };
}

/** Clients for the AWS module; by default each is made from the function's environment (region, credentials). */
export interface AwsClients {
  readonly dynamodb?: DynamoDBClient;
  readonly sqs?: SQSClient;
  readonly eventBridge?: EventBridgeClient;
}

/** The stores, the work queues and the event bus in AWS: what the Lambda functions load. */
export function awsModule(config: AwsConfig, clients: AwsClients = {}): ContainerModule {
  const documentClient = createDocumentClient(clients.dynamodb ?? new DynamoDBClient({}));
  const sqs = clients.sqs ?? new SQSClient({});
  const eventBridge = clients.eventBridge ?? new EventBridgeClient({});
  return new ContainerModule((options) => {
    bindStores(options, documentClient, tableNames(config.tablePrefix), config.retention);
    bindQueues(options, sqs, config.queueUrls);
    options.bind(EVENTBRIDGE_CLIENT).toConstantValue(eventBridge);
    options.bind(EVENT_BUS_NAME).toConstantValue(config.eventBusName);
    options.bind(TOKENS.EventPublisher).to(EventBridgeEventPublisher).inSingletonScope();
  });
}

/**
 * The same adapters on the embedded stack, except that events go through the in-process bus, which routes
 * them to the fan-out queue as the deployed EventBridge rule would.
 */
export function localModule(stack: EmbeddedStack, retention: Retention = DEFAULT_RETENTION): ContainerModule {
  return new ContainerModule((options) => {
    bindStores(options, stack.documentClient, stack.tableNames, retention);
    bindQueues(options, stack.sqs, stack.queueUrls);
    options.bind(TOKENS.EventPublisher).to(InProcessEventBus).inSingletonScope();
  });
}

function bindStores(
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
}

function bindQueues({ bind }: ContainerModuleLoadOptions, sqs: SQSClient, queueUrls: QueueUrls): void {
  bind(SQS_CLIENT).toConstantValue(sqs);
  bind(QUEUE_URLS).toConstantValue(queueUrls);
  bind(TOKENS.WorkDispatcher).to(SqsWorkDispatcher).inSingletonScope();
}
