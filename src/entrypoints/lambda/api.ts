import 'reflect-metadata/lite';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Container } from 'inversify';
import { RunRecordsReader } from '../../application/run-records.js';
import { AddFeeds } from '../../application/use-cases/add-feeds.js';
import { CreateSubscription } from '../../application/use-cases/create-subscription.js';
import { GetFeed } from '../../application/use-cases/get-feed.js';
import { ListFeeds } from '../../application/use-cases/list-feeds.js';
import { ListRuns } from '../../application/use-cases/list-runs.js';
import { ListSubscriptions } from '../../application/use-cases/list-subscriptions.js';
import { RemoveFeed } from '../../application/use-cases/remove-feed.js';
import { ResumeRun } from '../../application/use-cases/resume-run.js';
import { StartCrawlRun } from '../../application/use-cases/start-crawl-run.js';
import { Subscribe } from '../../application/use-cases/subscribe.js';
import { SummarizeRun } from '../../application/use-cases/summarize-run.js';
import { RotateSubscriptionSecret } from '../../application/use-cases/rotate-subscription-secret.js';
import { Unsubscribe } from '../../application/use-cases/unsubscribe.js';
import { bodyTooLarge, MAX_BODY_BYTES, parseQueryString, type ApiRequest } from '../api/api-http.js';
import { createManagementApi, type ManagementApi } from '../api/management-api.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { compose } from '../container/compose.js';
import { requireSecretsKey } from '../container/aws-config.js';
import { dynamoDbModule } from '../container/dynamodb.module.js';
import { sinkAddressModule } from '../container/sink-address.module.js';
import { systemModule } from '../container/system.module.js';
import { useCasesModule } from '../container/use-cases.module.js';
import { onColdStart, type LambdaEnvironment } from './cold-start.js';
import { kmsOnFirstUse, workOnFirstUse } from './adapters-on-first-use.js';

/** The use cases the management API's routes call. */
export const API_USE_CASES = [
  ListFeeds,
  GetFeed,
  AddFeeds,
  RemoveFeed,
  Subscribe,
  CreateSubscription,
  ListSubscriptions,
  Unsubscribe,
  RotateSubscriptionSecret,
  StartCrawlRun,
  SummarizeRun,
  RunRecordsReader,
  ResumeRun,
  ListRuns,
] as const;

/**
 * Feeds, subscriptions and runs in DynamoDB; a run's first scan pages to SQS; webhooks checked by the guard.
 * Most routes read and write DynamoDB alone: SQS loads when a route starts or resumes a run, KMS when one seals
 * a subscription's secret, each on first use.
 */
export function composeApi({ settings, aws }: LambdaEnvironment): Container {
  const keyId = requireSecretsKey(aws);
  // One client for the stores and the secrets' keyring: one pool of connections to DynamoDB.
  const dynamodb = new DynamoDBClient({});
  return compose(
    useCasesModule(settings.relay, API_USE_CASES),
    dynamoDbModule(aws, dynamodb),
    workOnFirstUse(aws.queueUrls),
    sinkAddressModule({ allowedNetworks: settings.webhook.allowedNetworks }),
    // A subscription's secret is sealed with the stack's key before it is stored.
    kmsOnFirstUse(keyId, aws.tablePrefix, dynamodb),
    systemModule(),
  );
}

/**
 * An API Gateway HTTP API (payload format 2.0) request as the management API reads it: the path without the
 * stage, the raw query, the headers (API Gateway lowercases their names) and the body, base64 or not.
 */
export function apiRequestOf(event: APIGatewayProxyEventV2): ApiRequest | undefined {
  const { stage } = event.requestContext;
  const prefix = stage && stage !== '$default' ? `/${stage}` : '';
  const path = prefix && event.rawPath.startsWith(`${prefix}/`) ? event.rawPath.slice(prefix.length) : event.rawPath;
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (body.byteLength > MAX_BODY_BYTES) return undefined;
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path,
    query: parseQueryString(event.rawQueryString ?? ''),
    headers,
    body,
  };
}

/** The management API behind API Gateway: each event becomes one `ApiRequest`, each answer one result. */
export function apiGatewayHandler(
  api: ManagementApi,
): (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> {
  return async (event) => {
    const request = apiRequestOf(event);
    const answer = request === undefined ? bodyTooLarge() : await api(request);
    return { statusCode: answer.status, headers: { ...answer.headers }, body: answer.body, isBase64Encoded: false };
  };
}

/** The HTTP API's integration: IAM (SigV4) has authorized the caller before the event arrives. */
export const handler = onColdStart((environment) =>
  apiGatewayHandler(createManagementApi(composeApi(environment), environment.logger)),
);
