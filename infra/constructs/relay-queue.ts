import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueueName, QUEUES, type QueueDefinition, type QueueKey } from '../../src/adapters/aws-resources.js';

/** How long a message that failed `maxReceiveCount` times waits in the dead-letter queue: SQS's longest. */
const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * One queue of `QUEUES` with its dead-letter queue: the visibility time-out and redrive of its definition,
 * SQS-managed encryption, TLS enforced, and an alarm that fires as soon as a message is dead-lettered.
 */
export class RelayQueue extends Construct {
  readonly key: QueueKey;
  readonly definition: QueueDefinition;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  /** `ApproximateNumberOfMessagesVisible > 0` on the dead-letter queue. */
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, key: QueueKey) {
    super(scope, id);
    this.key = key;
    this.definition = QUEUES[key];

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: DEAD_LETTER_RETENTION,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'a dead-letter queue is where redrive ends: its messages wait for an operator (alarm, redrive command)',
    });
    this.queue = new Queue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(this.definition.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.definition.maxReceiveCount },
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });

    this.deadLetterAlarm = deadLetterAlarm(
      this,
      this.deadLetterQueue,
      `Messages in ${deadLetterQueueName(this.definition.name)}: ${this.definition.carries} work failed ${this.definition.maxReceiveCount} times`,
    );
  }

  /**
   * Makes `fn` the consumer: batches of the definition's size (filled for up to its batching window),
   * failures reported per record (the handlers return `batchItemFailures`), at most `maxConcurrency`
   * concurrent invocations (2 to 1000).
   */
  addConsumer(fn: IFunction, options: { readonly maxConcurrency: number }): void {
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: this.definition.batchSize,
        ...(this.definition.maxBatchingWindowSeconds > 0
          ? { maxBatchingWindow: Duration.seconds(this.definition.maxBatchingWindowSeconds) }
          : {}),
        reportBatchItemFailures: true,
        maxConcurrency: options.maxConcurrency,
      }),
    );
  }
}

/** An alarm (`DeadLetterAlarm` in `scope`) as soon as a dead-letter queue holds any message. */
export function deadLetterAlarm(scope: Construct, queue: Queue, description: string): Alarm {
  return new Alarm(scope, 'DeadLetterAlarm', {
    alarmDescription: description,
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
