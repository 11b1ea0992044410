import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, RecursiveLoop, Runtime, Tracing, type Code } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { RELAY_SETTINGS_ENV, STAGE_VARIABLE } from '../../src/entrypoints/lambda/lambda-settings.js';
import { AWS_ENV, DEAD_LETTER_QUEUE_URL_ENV, QUEUE_URL_ENV } from '../../src/entrypoints/container/aws-config.js';
import type { SecretsAccess, SecretsKey } from './secrets-key.js';
import type { SinkTargets } from './sink-targets.js';
import type { RelayTable, TableAccess } from './feedrelay-tables.js';
import { PROJECT_ROOT, relayBundling, relayEntry, type RelayHandler } from './relay-bundling.js';
import type { RelayQueue } from './relay-queue.js';

export type { RelayHandler } from './relay-bundling.js';

/** Where the stack's resources are: what `addResourceLocations` writes into a function's environment. */
export interface ResourceLocations {
  readonly tablePrefix: string;
  readonly queues: readonly RelayQueue[];
  readonly eventBus: IEventBus;
}

export interface RelayFunctionProps {
  /** Which file of `src/entrypoints/lambda/` the function runs. */
  readonly handler: RelayHandler;
  readonly description: string;
  /**
   * The queue the function consumes: its definition sets the time-out, the step lease and whether the
   * function may send to that queue itself (a relay). Without one, `timeout` applies.
   */
  readonly consumes?: RelayQueue;
  /** At most this many concurrent invocations from `consumes` (2 to 1000). Default 5. */
  readonly maxConcurrency?: number;
  /** Only for a function that consumes no queue. Default 30 s. */
  readonly timeout?: Duration;
  /** Default: that of the queue it consumes (`QUEUES`), else 512 MB (arm64: the memory also sets the CPU share). */
  readonly memorySize?: number;
  /** Default one month. */
  readonly logRetention?: RetentionDays;
  /** Ready-made code instead of bundling the handler with esbuild (fast synths in tests). */
  readonly code?: Code;
  /** The stage the function belongs to: the `Stage` dimension of the metrics it writes. Default the stack name. */
  readonly stage?: string;
  /**
   * Only for a function invoked asynchronously (the schedule's target): where an event goes, with the error,
   * once Lambda has retried it twice or it is an hour old (an on-failure destination).
   */
  readonly onFailure?: IQueue;
}

/**
 * A feedrelay handler on Lambda: Node.js 24 on arm64, bundled by esbuild into one minified CommonJS module with
 * a source map beside it and without the AWS SDK (the runtime's, see `relayBundling`), its own log group and its own role
 * (no managed policy: it may write to its log group and send traces to X-Ray, nothing else until bound),
 * active tracing, and the time-out and step lease of the queue it consumes. `bindTable`, `bindQueue` and
 * `bindEventBus` grant the least the handler needs and set the variable that tells it where the resource is.
 */
export class RelayFunction extends NodejsFunction {
  readonly consumes: RelayQueue | undefined;
  private readonly maxConcurrency: number;

  constructor(scope: Construct, id: string, props: RelayFunctionProps) {
    const queue = props.consumes?.definition;
    if (queue !== undefined && props.timeout !== undefined) {
      throw new Error(`${id}: a consumer takes its time-out from its queue definition`);
    }
    if (queue !== undefined && props.onFailure !== undefined) {
      throw new Error(`${id}: a consumer's failures stay in its queue and go to that queue's dead-letter queue`);
    }
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role with an inline policy instead of AWSLambdaBasicExecutionRole (which may write to any log group).
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `The ${props.handler} function`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      role,
      tracing: Tracing.ACTIVE,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? queue?.memoryMb ?? 512,
      timeout:
        queue !== undefined ? Duration.seconds(queue.functionTimeoutSeconds) : (props.timeout ?? Duration.seconds(30)),
      // Lambda stops a loop through SQS after about 16 hops; a relay runs for as many pages as there are and
      // bounds itself (`maxRelayPages`).
      recursiveLoop: queue?.recursive === true ? RecursiveLoop.ALLOW : RecursiveLoop.TERMINATE,
      logGroup,
      ...(props.onFailure !== undefined
        ? { onFailure: new SqsDestination(props.onFailure), retryAttempts: 2, maxEventAge: Duration.hours(1) }
        : {}),
      environment: {
        // No `--enable-source-maps` (see `relayBundling`): the map is deployed, and the option turns it on.
        [STAGE_VARIABLE]: props.stage ?? Stack.of(scope).stackName,
        // The lease must outlast one invocation and end before the message is visible again.
        ...(queue !== undefined ? { [RELAY_SETTINGS_ENV.leaseSeconds]: String(queue.functionTimeoutSeconds) } : {}),
      },
      ...(props.code !== undefined
        ? { code: props.code, handler: 'index.handler' }
        : {
            entry: relayEntry(props.handler),
            handler: 'handler',
            projectRoot: PROJECT_ROOT,
            depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
            bundling: relayBundling(),
          }),
    });
    this.consumes = props.consumes;
    this.maxConcurrency = props.maxConcurrency ?? 5;
    if (props.consumes !== undefined) this.bindQueue(props.consumes, 'consume');

    // X-Ray takes no resource in its policies: PutTraceSegments and PutTelemetryRecords are granted on `*`.
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions',
    });
    if (props.onFailure !== undefined) {
      Validations.of(this).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'its asynchronous failures go to an on-failure destination (an SQS queue), which records the error with the event; a dead-letter queue as well would receive each failure twice',
      });
    }
    if (props.consumes !== undefined) {
      Validations.of(this).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'invoked synchronously by its SQS event source: a failed message stays in the queue and its redrive policy moves it to the queue’s dead-letter queue',
      });
      Validations.of(this).acknowledge({
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason:
          'an on-failure destination applies to stream and Kafka sources, not SQS: the queue’s redrive policy is the SQS equivalent',
      });
    }
  }

  /**
   * Grants `access` to the table (exactly the DynamoDB actions listed, or a read/write set) and tells the
   * function its name (the tables' common prefix).
   */
  bindTable(table: RelayTable, access: TableAccess): this {
    table.grantAccess(this, access);
    this.addEnvironment(AWS_ENV.tablePrefix, table.prefix);
    return this;
  }

  /**
   * `send`: grants `sqs:SendMessage` (which SendMessageBatch needs too) and tells the function the queue's URL. `consume`: the queue's event source
   * (which grants receiving and deleting); only the queue the function was sized for in `consumes`. A
   * consumer may also send to its queue's dead-letter queue and is told its URL: it parks there at once
   * what can never succeed, with the reason.
   */
  bindQueue(queue: RelayQueue, mode: 'send' | 'consume'): this {
    if (mode === 'consume') {
      if (queue !== this.consumes) {
        throw new Error(`${this.node.id} consumes only the queue its time-out was sized for`);
      }
      queue.addConsumer(this, { maxConcurrency: this.maxConcurrency });
      queue.deadLetterQueue.grant(this, 'sqs:SendMessage');
      this.addEnvironment(DEAD_LETTER_QUEUE_URL_ENV[queue.key], queue.deadLetterQueue.queueUrl);
      return this;
    }
    if (queue === this.consumes && !queue.definition.recursive) {
      throw new Error(`${queue.definition.name} is not declared recursive: its consumer may not send to it`);
    }
    queue.queue.grant(this, 'sqs:SendMessage');
    this.addEnvironment(QUEUE_URL_ENV[queue.key], queue.queue.queueUrl);
    return this;
  }

  /** Grants PutEvents on the bus and tells the function its name. */
  bindEventBus(bus: IEventBus): this {
    bus.grantPutEventsTo(this);
    this.addEnvironment(AWS_ENV.eventBusName, bus.eventBusName);
    return this;
  }

  /**
   * Grants sealing or opening webhook secrets with the key and its keyring (see `SecretsKey.grant`) and tells the
   * function the key's ARN and the tables' prefix.
   */
  bindSecretsKey(secrets: SecretsKey, access: SecretsAccess): this {
    secrets.grant(this, access);
    this.addEnvironment(AWS_ENV.secretsKeyId, secrets.key.keyArn);
    this.addEnvironment(AWS_ENV.tablePrefix, secrets.keyRing.prefix);
    return this;
  }

  /** Grants SendMessage on the subscribers' queues the deployer allows (`sinkTargets`); none: no statement. */
  bindSinkTargets(targets: SinkTargets): this {
    if (targets.sqsQueueArns.length > 0) {
      this.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [...targets.sqsQueueArns] }));
    }
    return this;
  }

  /**
   * Tells the function where every resource is, granting nothing: `readAwsConfig` wants all of them even in a
   * function whose composition uses few. The values are those the bindings set.
   */
  addResourceLocations(locations: ResourceLocations): this {
    this.addEnvironment(AWS_ENV.tablePrefix, locations.tablePrefix);
    for (const queue of locations.queues) this.addEnvironment(QUEUE_URL_ENV[queue.key], queue.queue.queueUrl);
    this.addEnvironment(AWS_ENV.eventBusName, locations.eventBus.eventBusName);
    return this;
  }
}
