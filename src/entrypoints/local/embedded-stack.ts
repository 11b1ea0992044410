import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import {
  LOCAL_MAX_ATTEMPTS,
  LOCAL_VISIBILITY_TIMEOUT_SECONDS,
  localClientConfig,
  startEmbeddedDynamoDb,
} from './embedded-dynamodb.js';
import { faultRandom, injectAwsFaults, NO_FAULTS, type FaultSettings } from './aws-faults.js';
import { AwsRequestCounter, countRequests } from './aws-request-counter.js';
import { createTables } from './create-tables.js';
import { deadLetterQueueName, QUEUES, type QueueKey } from '../../adapters/aws-resources.js';
import {
  createDocumentClient,
  DEFAULT_TABLE_PREFIX,
  tableNames,
  type TableNames,
} from '../../adapters/dynamodb/dynamodb-tables.js';
import type { QueueUrls } from '../../adapters/sqs/tokens.js';

export { LOCAL_MAX_ATTEMPTS, LOCAL_VISIBILITY_TIMEOUT_SECONDS } from './embedded-dynamodb.js';

export interface EmbeddedStackOptions {
  /** Where DynamoDB keeps its tables (`<dataDir>/dynamodb`); in memory when omitted. */
  readonly dataDir?: string;
  readonly tablePrefix?: string;
  /** Default 10 s; the relay lease (`RelaySettings.leaseSeconds`) should not be longer. */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message goes to its dead-letter queue; default that of `QUEUES` (5). */
  readonly maxReceiveCount?: number;
  /** `aws` is applied here, to the clients the adapters use; `duplicate` and `crash` belong to the runtime. */
  readonly faults?: FaultSettings;
  readonly maxAttempts?: number;
}

/** The dead-letter queue URL and ARN next to each work queue's URL. */
export interface QueueSet {
  readonly queueUrls: QueueUrls;
  readonly deadLetterQueueUrls: QueueUrls;
}

/**
 * DynamoDB (dynalite, on disk) and SQS (fauxqs, in memory) in this process on loopback ports, with the tables
 * and queues of `aws-resources.ts`, and the clients to reach them.
 */
export interface EmbeddedStack extends QueueSet {
  readonly dynamodb: DynamoDBClient;
  readonly documentClient: DynamoDBDocumentClient;
  /** The adapters' SQS client: its requests are counted and, with `aws=P`, fail now and then. */
  readonly sqs: SQSClient;
  /** The Lambda service's own client (event source polling and deletes): neither counted nor faulted. */
  readonly platformSqs: SQSClient;
  readonly tableNames: TableNames;
  readonly counter: AwsRequestCounter;
  readonly faults: FaultSettings;
  readonly visibilityTimeoutSeconds: number;
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string };
  /** Destroys the clients, closes both servers and DynamoDB's LevelDB store; a new stack may then open the same dir. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded stack. Tables persist in `<dataDir>/dynamodb` and are created if missing; queues live in
 * memory only, so after a restart they are new and empty (work in flight when a process ended is lost, which
 * the next crawl makes good). The request counter is reset once setup is done.
 */
export async function startEmbeddedStack(options: EmbeddedStackOptions = {}): Promise<EmbeddedStack> {
  const faults = options.faults ?? NO_FAULTS;
  const maxAttempts = options.maxAttempts ?? LOCAL_MAX_ATTEMPTS;
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? LOCAL_VISIBILITY_TIMEOUT_SECONDS;
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const dynamo = await startEmbeddedDynamoDb(options.dataDir);
    const dynamoPort = dynamo.port;
    stops.push(() => dynamo.close());

    const sqsApp = buildApp({ logger: false });
    await sqsApp.listen({ port: 0, host: '127.0.0.1' });
    stops.push(() => sqsApp.close());
    const sqsPort = (sqsApp.server.address() as AddressInfo).port;

    const endpoints = { dynamodb: `http://127.0.0.1:${dynamoPort}`, sqs: `http://127.0.0.1:${sqsPort}` };
    const clientConfig = localClientConfig(maxAttempts);
    const counter = new AwsRequestCounter();
    const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: endpoints.dynamodb });
    const sqs = new SQSClient({ ...clientConfig, endpoint: endpoints.sqs });
    const platformSqs = new SQSClient({ ...clientConfig, endpoint: endpoints.sqs });
    stops.push(async () => {
      dynamodb.destroy();
      sqs.destroy();
      platformSqs.destroy();
    });
    countRequests(dynamodb.middlewareStack, counter);
    countRequests(sqs.middlewareStack, counter);

    const names = tableNames(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
    await createTables(dynamodb, names);
    const queues = await createQueues(platformSqs, {
      visibilityTimeoutSeconds,
      ...(options.maxReceiveCount !== undefined ? { maxReceiveCount: options.maxReceiveCount } : {}),
    });

    const random = faultRandom(faults, 'aws');
    injectAwsFaults(dynamodb.middlewareStack, faults.aws, random);
    injectAwsFaults(sqs.middlewareStack, faults.aws, random);
    counter.reset();

    return {
      dynamodb,
      documentClient: createDocumentClient(dynamodb),
      sqs,
      platformSqs,
      ...queues,
      tableNames: names,
      counter,
      faults,
      visibilityTimeoutSeconds,
      endpoints,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Creates every queue of `QUEUES` with its dead-letter queue: the redrive policy moves a message there once
 * it has been received `maxReceiveCount` times without being deleted. Idempotent for equal attributes.
 */
export async function createQueues(
  sqs: SQSClient,
  options: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number; prefix?: string } = {},
): Promise<QueueSet> {
  const queueUrls = {} as Record<QueueKey, string>;
  const deadLetterQueueUrls = {} as Record<QueueKey, string>;
  await Promise.all(
    (Object.keys(QUEUES) as QueueKey[]).map(async (key) => {
      const definition = QUEUES[key];
      const name = `${options.prefix ?? ''}${definition.name}`;
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: deadLetterQueueName(name) }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      const queue = await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? definition.visibilityTimeoutSeconds),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: Attributes?.QueueArn,
              maxReceiveCount: options.maxReceiveCount ?? definition.maxReceiveCount,
            }),
          },
        }),
      );
      queueUrls[key] = queue.QueueUrl!;
      deadLetterQueueUrls[key] = dlq.QueueUrl!;
    }),
  );
  return { queueUrls, deadLetterQueueUrls };
}

/** The origins of the embedded stack's queue URLs (fauxqs names its queues on a `.localhost` host of its port). */
export function localQueueOrigins(stack: Pick<EmbeddedStack, 'endpoints' | 'queueUrls'>): string[] {
  return [
    ...new Set([new URL(stack.endpoints.sqs).origin, ...Object.values(stack.queueUrls).map((u) => new URL(u).origin)]),
  ];
}
