import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, STAGE_DIMENSION } from '../../src/adapters/cloudwatch/emf-relay-metrics.js';
import type { RelayMetric } from '../../src/application/ports/relay-metrics.port.js';
import { pascalCase } from './feedrelay-tables.js';
import type { RelayFunction } from './relay-function.js';
import type { RelayQueue } from './relay-queue.js';

const PERIOD = Duration.minutes(5);

export interface RelayMonitoringProps {
  /** The `Stage` dimension the functions' metrics carry. */
  readonly stage: string;
  /** Every function, by the name the dashboard and the alarms give it. */
  readonly functions: Readonly<Record<string, RelayFunction>>;
  /** The work queues, each with the function that consumes it. */
  readonly queues: readonly { readonly queue: RelayQueue; readonly consumer: RelayFunction }[];
  /** Other dead-letter queues to show beside the work queues' (the crawl schedule's). */
  readonly otherDeadLetterQueues?: Readonly<Record<string, IQueue>>;
  readonly tables: readonly (Table & { readonly key: string })[];
  /** Alarm when a queue's oldest message is older than this. Default 30 minutes. */
  readonly oldestMessageAge?: Duration;
}

/**
 * What an operator watches: one dashboard (runs, feeds, articles, deliveries and relay pages from the
 * functions' embedded metrics; queue depth, oldest message and dead letters per queue; errors and throttles
 * per function) and the alarms: a function's errors or throttles, a queue whose oldest message is too old, a
 * queue that holds messages while its consumer is not invoked (a stalled relay), DynamoDB throttling per table.
 */
export class RelayMonitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: RelayMonitoringProps) {
    super(scope, id);
    const relay = (name: RelayMetric, label: string): Metric =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { [STAGE_DIMENSION]: props.stage },
        statistic: 'Sum',
        period: PERIOD,
        label,
      });
    const oldestAge = props.oldestMessageAge ?? Duration.minutes(30);

    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${name}Errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), {
        description: `The ${name} function failed invocations`,
      });
      this.alarm(`${name}Throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), {
        description: `The ${name} function was throttled`,
      });
    }
    for (const { queue, consumer } of props.queues) {
      const name = pascalCase(queue.definition.name);
      this.alarm(`${name}OldestMessage`, oldestOf(queue.queue), {
        description: `The oldest message in ${queue.definition.name} is older than ${oldestAge.toHumanString()}`,
        threshold: oldestAge.toSeconds(),
      });
      // Messages wait and no invocation takes them, three periods running: the relay has stopped.
      const stalled = new MathExpression({
        expression: 'IF(visible > 0 AND FILL(invocations, 0) == 0, 1, 0)',
        usingMetrics: {
          visible: queue.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Minimum' }),
          invocations: consumer.metricInvocations({ period: PERIOD, statistic: 'Sum' }),
        },
        period: PERIOD,
        label: `${queue.definition.name} waiting, consumer idle`,
      });
      this.alarm(`${name}Stalled`, stalled, {
        description: `${queue.definition.name} holds messages and its consumer has not been invoked for 15 minutes`,
        threshold: 1,
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
      });
    }
    for (const table of props.tables) {
      const throttled = new MathExpression({
        expression: 'FILL(reads, 0) + FILL(writes, 0)',
        usingMetrics: {
          reads: table.metric('ReadThrottleEvents', { period: PERIOD, statistic: 'Sum' }),
          writes: table.metric('WriteThrottleEvents', { period: PERIOD, statistic: 'Sum' }),
        },
        period: PERIOD,
        label: `${table.key} throttle events`,
      });
      this.alarm(`${pascalCase(table.key)}TableThrottled`, throttled, {
        description: `DynamoDB throttled requests on the ${table.key} table`,
      });
    }

    const deadLetterQueues: [string, IQueue][] = [
      ...props.queues.map(({ queue }): [string, IQueue] => [queue.definition.name, queue.deadLetterQueue]),
      ...Object.entries(props.otherDeadLetterQueues ?? {}),
    ];
    const functions = Object.entries(props.functions);
    const widgets: IWidget[][] = [
      [
        new TextWidget({
          markdown: `# feedrelay — ${props.stage}\nRelay counts from the functions' embedded metrics (namespace \`${METRICS_NAMESPACE}\`, ${STAGE_DIMENSION}=${props.stage}), sums per 5 minutes.`,
          width: 24,
          height: 2,
        }),
      ],
      [
        graph('Runs', [relay('RunsStarted', 'started'), relay('RunsFinished', 'finished')]),
        graph('Feeds', [
          relay('FeedsFetched', 'fetched'),
          relay('FeedsNotModified', 'not modified'),
          relay('FeedsFailed', 'failed'),
        ]),
        graph('New articles and relay pages', [
          relay('NewArticles', 'new articles'),
          relay('RelayPages', 'relay pages'),
        ]),
        graph('Deliveries', [
          relay('DeliveriesDelivered', 'delivered'),
          relay('DeliveriesFailed', 'failed'),
          relay('DeliveriesPending', 'pending (retry)'),
        ]),
      ],
      [
        graph(
          'Queue depth (visible messages)',
          props.queues.map(({ queue }) =>
            queue.queue.metricApproximateNumberOfMessagesVisible({
              period: PERIOD,
              statistic: 'Maximum',
              label: queue.definition.name,
            }),
          ),
          8,
        ),
        graph(
          'Oldest message age (seconds)',
          props.queues.map(({ queue }) => oldestOf(queue.queue, queue.definition.name)),
          8,
        ),
        graph(
          'Dead-letter queue depth',
          deadLetterQueues.map(([name, dlq]) =>
            dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: name }),
          ),
          8,
        ),
      ],
      [
        graph(
          'Lambda errors',
          functions.map(([name, fn]) => fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: name })),
          12,
        ),
        graph(
          'Lambda throttles',
          functions.map(([name, fn]) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum', label: name })),
          12,
        ),
      ],
    ];
    this.dashboard = new Dashboard(this, 'Dashboard', { widgets, defaultInterval: Duration.hours(3) });
  }

  /** An alarm on `metric` above `threshold` (default 0) for `evaluationPeriods` (default 1); no data is fine. */
  private alarm(
    id: string,
    metric: IMetric,
    options: {
      readonly description: string;
      readonly threshold?: number;
      readonly comparison?: ComparisonOperator;
      readonly evaluationPeriods?: number;
    },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: options.description,
      metric,
      threshold: options.threshold ?? 0,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(alarm);
    return alarm;
  }
}

function oldestOf(queue: IQueue, label?: string): Metric {
  return queue.metricApproximateAgeOfOldestMessage({
    period: PERIOD,
    statistic: 'Maximum',
    ...(label !== undefined ? { label } : {}),
  });
}

function graph(title: string, left: IMetric[], width = 6): GraphWidget {
  return new GraphWidget({ title, left, width, height: 6 });
}
