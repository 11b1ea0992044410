import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { DataDirBusyError, DataDirUnusableError, fileSystemReason } from './data-dir-lock.js';
import { DynamoStoreError, startDynaliteThread, type DynaliteThread } from './dynalite-thread.js';
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

/** Local visibility time-out: failed or crashed messages come back after this long (AWS: 6 × function time-out). */
export const LOCAL_VISIBILITY_TIMEOUT_SECONDS = 10;
/** Attempts per AWS request on the embedded stack: enough for injected faults (`aws=0.1`) to be ridden out. */
export const LOCAL_MAX_ATTEMPTS = 8;

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

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
    const dynamoPath = options.dataDir === undefined ? undefined : join(options.dataDir, 'dynamodb');
    if (dynamoPath !== undefined) {
      await mkdir(dynamoPath, { recursive: true }).catch((error: unknown) => {
        throw new DataDirUnusableError(options.dataDir!, fileSystemReason(error, dynamoPath), { cause: error });
      });
    }
    const dynamo = await startDynamo(options.dataDir, dynamoPath);
    const dynamoPort = dynamo.port;
    stops.push(() => dynamo.close());

    const sqsApp = buildApp({ logger: false });
    await sqsApp.listen({ port: 0, host: '127.0.0.1' });
    stops.push(() => sqsApp.close());
    const sqsPort = (sqsApp.server.address() as AddressInfo).port;

    const endpoints = { dynamodb: `http://127.0.0.1:${dynamoPort}`, sqs: `http://127.0.0.1:${sqsPort}` };
    const clientConfig = {
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts,
      retryMode: 'standard',
      requestHandler: { httpAgent: { maxSockets: 256 } },
    } as const;
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

/** Starts dynalite; a store that cannot be opened is the data directory's problem, and said so. */
async function startDynamo(dataDir: string | undefined, path: string | undefined): Promise<DynaliteThread> {
  try {
    return await startDynaliteThread({
      ...(path ? { path } : {}),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
  } catch (error) {
    if (!(error instanceof DynamoStoreError) || dataDir === undefined) throw error;
    if (error.locked) throw new DataDirBusyError(dataDir, `another process (LevelDB's lock on ${path})`);
    throw new DataDirUnusableError(
      dataDir,
      `its DynamoDB store ${path} cannot be opened (${error.reason}); move that directory aside to start with empty tables`,
      { cause: error },
    );
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
