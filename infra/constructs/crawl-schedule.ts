import { Duration, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterAlarm } from './relay-queue.js';

/** How often Lambda or EventBridge retries a start, and for how long. */
export const START_RETRIES = { attempts: 2, maxEventAge: Duration.hours(1) } as const;

export interface CrawlScheduleProps {
  readonly rate: Duration;
}

/**
 * The rule that starts a crawl run at a fixed rate, and the dead-letter queue where a start that could not be
 * made is kept for 14 days: one EventBridge could not deliver to the function (`bindTarget`), or one the
 * function failed after Lambda's retries (the function's on-failure destination, `RelayFunction`'s
 * `onFailure`). An alarm fires on the first.
 */
export class CrawlSchedule extends Construct {
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;
  private readonly rate: Duration;

  constructor(scope: Construct, id: string, props: CrawlScheduleProps) {
    super(scope, id);
    this.rate = props.rate;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    for (const id of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
      Validations.of(this.deadLetterQueue).acknowledge({
        id,
        reason: 'this queue is the dead-letter queue of the crawl schedule and of the start-crawl function',
      });
    }
    this.deadLetterAlarm = deadLetterAlarm(
      this,
      this.deadLetterQueue,
      'A crawl run could not be started: the event is in the crawl schedule’s dead-letter queue',
    );
  }

  /**
   * The rule, with `fn` as its target: retried twice within an hour, then parked in the dead-letter queue. It is
   * defined beside this construct, as `CrawlSchedule`, so that its logical id is the one earlier versions deployed.
   */
  bindTarget(fn: IFunction): Rule {
    return new Rule(this.node.scope as Construct, 'CrawlSchedule', {
      description: 'Starts a crawl run',
      schedule: Schedule.rate(this.rate),
      targets: [
        new LambdaFunction(fn, {
          retryAttempts: START_RETRIES.attempts,
          maxEventAge: START_RETRIES.maxEventAge,
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}
