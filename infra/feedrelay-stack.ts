import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { Code } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DISCOVERY_RULE, QUEUES, type QueueKey } from '../src/adapters/aws-resources.js';
import { CrawlSchedule } from './constructs/crawl-schedule.js';
import { FeedRelayTables, pascalCase } from './constructs/feedrelay-tables.js';
import { ManagementApi } from './constructs/management-api.js';
import { OperatorAlerts } from './constructs/operator-alerts.js';
import { RelayFunction } from './constructs/relay-function.js';
import { RelayMonitoring } from './constructs/relay-monitoring.js';
import { RelayQueue } from './constructs/relay-queue.js';
import { SecretsKey } from './constructs/secrets-key.js';
import { NO_SINK_TARGETS, type SinkTargets } from './constructs/sink-targets.js';

export const DEFAULT_CRAWL_RATE = Duration.minutes(15);

/**
 * Concurrent invocations per consumer, as `QUEUES` sizes them (the arithmetic is in the README, "Sized for
 * scale"): the fetches and deliveries take most of an account's 1,000; each relay chain (a scan segment, a
 * subscriber shard) needs one at a time.
 */
export const DEFAULT_MAX_CONCURRENCY: Readonly<Record<QueueKey, number>> = Object.fromEntries(
  (Object.keys(QUEUES) as QueueKey[]).map((key) => [key, QUEUES[key].maxConcurrency]),
) as Record<QueueKey, number>;

export interface FeedRelayStackProps extends StackProps {
  /** How often the schedule starts a crawl run. Default 15 minutes. */
  readonly crawlRate?: Duration;
  readonly maxConcurrency?: Partial<Record<QueueKey, number>>;
  /** Ready-made code for every function instead of bundling the handlers (fast synths in tests). */
  readonly code?: Code;
  /** The stage name: the `Stage` dimension of the metrics, the dashboard's title. Default the stack name. */
  readonly stage?: string;
  /** Mailed by the alarm topic when given. */
  readonly alarmEmail?: string;
  /** Extra settings for every function (page sizes, allowed networks: see `readStageSettings`). */
  readonly functionEnvironment?: Readonly<Record<string, string>>;
  /** Alarm when a queue's oldest message is older than this. Default 30 minutes. */
  readonly oldestMessageAge?: Duration;
  /** Subscribers' queues the deliver function may send to (context `sinkTargets`). Default none. */
  readonly sinkTargets?: SinkTargets;
}

/**
 * feedrelay on AWS: the schedule starts a crawl run; the feed scan relays through its queue and sends fetches;
 * each fetch publishes its discovery to the bus, whose rule starts the fan-out; the subscriber scan relays
 * and sends deliveries. Each function is granted exactly the DynamoDB actions its composition sends (the
 * adapters' commands); a dashboard and alarms watch it all, and every alarm notifies the operators' topic.
 */
export class FeedRelayStack extends Stack {
  /** The key that seals webhook secrets: a function that creates or rotates subscriptions binds it with `seal`. */
  readonly secrets: SecretsKey;

  constructor(scope: Construct, id: string, props: FeedRelayStackProps = {}) {
    super(scope, id, props);
    const stage = props.stage ?? this.stackName;
    const code = { stage, ...(props.code !== undefined ? { code: props.code } : {}) };
    const alerts = new OperatorAlerts(
      this,
      'Alerts',
      props.alarmEmail !== undefined ? { email: props.alarmEmail } : {},
    );
    const schedule = new CrawlSchedule(this, 'StartCrawlSchedule', { rate: props.crawlRate ?? DEFAULT_CRAWL_RATE });
    const maxConcurrency = { ...DEFAULT_MAX_CONCURRENCY, ...props.maxConcurrency };

    const tables = new FeedRelayTables(this, 'Tables');
    const feeds = tables.table('feeds');
    const subscriptions = tables.table('subscriptions');
    const articles = tables.table('articles');
    const runs = tables.table('runs');
    const steps = tables.table('steps');

    const queues = {} as Record<QueueKey, RelayQueue>;
    for (const key of Object.keys(QUEUES) as QueueKey[]) {
      queues[key] = new RelayQueue(this, `${pascalCase(QUEUES[key].name)}Queue`, key);
    }
    const bus = new EventBus(this, 'EventBus');
    // The data keys' keyring is a partition of the subscriptions table, beside the secrets they open.
    const secrets = new SecretsKey(this, 'Secrets', { keyRing: subscriptions });
    this.secrets = secrets;

    // The step ledger as every step runs it: claim and complete (UpdateItem), a lost claim read (GetItem), a
    // failed step released (DeleteItem).
    const stepRunner = ['GetItem', 'UpdateItem', 'DeleteItem'] as const;

    // StartCrawlRun, and ResumeRun for the runs before it: their records (Query), the lost work rebuilt from
    // feeds, discoveries and subscriptions, and sent again to any queue.
    const startCrawl = new RelayFunction(this, 'StartCrawl', {
      handler: 'start-crawl',
      description:
        'Starts a crawl run unless one is still fetching: records it, sends the first page of each scan segment',
      onFailure: schedule.deadLetterQueue,
      ...code,
    })
      .bindTable(runs, ['GetItem', 'Query', 'PutItem', 'UpdateItem'])
      .bindTable(steps, [...stepRunner, 'Query'])
      .bindTable(feeds, ['DescribeTable', 'GetItem'])
      .bindTable(articles, ['Query'])
      .bindTable(subscriptions, ['Query', 'BatchGetItem'])
      .bindQueue(queues.scanFeeds, 'send')
      .bindQueue(queues.fetchFeed, 'send')
      .bindQueue(queues.scanSubscribers, 'send')
      .bindQueue(queues.deliver, 'send');

    const scanFeeds = new RelayFunction(this, 'ScanFeeds', {
      handler: 'scan-feeds',
      description: 'One page of the feed scan: due feeds become fetches, the cursor is relayed',
      consumes: queues.scanFeeds,
      maxConcurrency: maxConcurrency.scanFeeds,
      ...code,
    })
      .bindTable(feeds, ['Scan'])
      .bindTable(steps, stepRunner)
      .bindQueue(queues.scanFeeds, 'send')
      .bindQueue(queues.fetchFeed, 'send');

    const fetchFeed = new RelayFunction(this, 'FetchFeed', {
      handler: 'fetch-feed',
      description: 'Fetches a batch of feeds, stores their new articles and publishes the discoveries',
      consumes: queues.fetchFeed,
      maxConcurrency: maxConcurrency.fetchFeed,
      ...code,
    })
      // The feed read and committed; its discovery's articles written; host holds beside the ledger.
      .bindTable(feeds, ['GetItem', 'UpdateItem'])
      .bindTable(articles, ['BatchWriteItem'])
      .bindTable(steps, [...stepRunner, 'BatchGetItem'])
      .bindEventBus(bus);

    // A page of a shard's subscribers (start-fan-out scans the first ones): read, relayed, cut into deliver
    // messages; a lone part of recipients is delivered by the page itself, as the deliver function does.
    const scansSubscribers = (fn: RelayFunction): RelayFunction =>
      fn
        .bindTable(subscriptions, ['Query', 'BatchGetItem', 'UpdateItem'])
        .bindTable(articles, ['Query'])
        .bindTable(steps, stepRunner)
        .bindQueue(queues.scanSubscribers, 'send')
        .bindQueue(queues.deliver, 'send')
        .bindSecretsKey(secrets, 'open')
        .bindSinkTargets(props.sinkTargets ?? NO_SINK_TARGETS);

    const startFanOut = scansSubscribers(
      new RelayFunction(this, 'StartFanOut', {
        handler: 'start-fan-out',
        description: 'Starts the subscriber scan of one discovery: the first page of every shard',
        consumes: queues.startFanOut,
        maxConcurrency: maxConcurrency.startFanOut,
        ...code,
      }),
    );

    const scanSubscribers = scansSubscribers(
      new RelayFunction(this, 'ScanSubscribers', {
        handler: 'scan-subscribers',
        description: "One page of a feed's subscribers: each becomes a delivery, the cursor is relayed",
        consumes: queues.scanSubscribers,
        maxConcurrency: maxConcurrency.scanSubscribers,
        ...code,
      }),
    );

    const deliver = new RelayFunction(this, 'Deliver', {
      handler: 'deliver',
      description: 'One page of recipients POSTed at once; a retry carries only who needs one, with a delay',
      consumes: queues.deliver,
      maxConcurrency: maxConcurrency.deliver,
      ...code,
    })
      // Ending a subscription whose endpoint is gone (found, then updated) is its only write there; the
      // discovery's articles read.
      .bindTable(subscriptions, ['BatchGetItem', 'UpdateItem'])
      .bindTable(articles, ['Query'])
      .bindTable(steps, stepRunner)
      .bindQueue(queues.deliver, 'send')
      .bindSecretsKey(secrets, 'open')
      .bindSinkTargets(props.sinkTargets ?? NO_SINK_TARGETS);

    // The management API: what its routes read and write, and a run's start as StartCrawl has it (a start may
    // resume an earlier run's work).
    const api = new RelayFunction(this, 'Api', {
      handler: 'api',
      description: 'The management API behind API Gateway: feeds, subscriptions and runs',
      // Inside API Gateway's 30 s integration time-out.
      timeout: Duration.seconds(29),
      ...code,
    })
      .bindTable(feeds, 'read-write')
      .bindTable(subscriptions, 'read-write')
      .bindTable(runs, ['GetItem', 'Query', 'PutItem', 'UpdateItem'])
      .bindTable(steps, [...stepRunner, 'Query'])
      .bindTable(articles, ['Query'])
      .bindQueue(queues.scanFeeds, 'send')
      .bindQueue(queues.fetchFeed, 'send')
      .bindQueue(queues.scanSubscribers, 'send')
      .bindQueue(queues.deliver, 'send')
      // A subscription's secret is sealed before it is stored.
      .bindSecretsKey(secrets, 'seal');
    const managementApi = new ManagementApi(this, 'ManagementApi', { handler: api });

    const functions = { startCrawl, scanFeeds, fetchFeed, startFanOut, scanSubscribers, deliver, api };
    const locations = { tablePrefix: tables.prefix, queues: Object.values(queues), eventBus: bus };
    for (const fn of Object.values(functions)) {
      fn.addResourceLocations(locations);
      for (const [name, value] of Object.entries(props.functionEnvironment ?? {})) fn.addEnvironment(name, value);
    }

    schedule.bindTarget(startCrawl);

    // A discovery EventBridge cannot deliver lands in the fan-out's dead-letter queue: same alarm, same redrive.
    const fanOut = queues[DISCOVERY_RULE.target];
    new Rule(this, 'DiscoveryRule', {
      description: 'Discoveries start the fan-out',
      eventBus: bus,
      eventPattern: { source: [DISCOVERY_RULE.source], detailType: [DISCOVERY_RULE.detailType] },
      targets: [new SqsQueue(fanOut.queue, { deadLetterQueue: fanOut.deadLetterQueue })],
    });

    const consumers: Record<QueueKey, RelayFunction> = {
      scanFeeds,
      fetchFeed,
      startFanOut,
      scanSubscribers,
      deliver,
    };
    const monitoring = new RelayMonitoring(this, 'Monitoring', {
      stage,
      functions: Object.fromEntries(Object.entries(functions).map(([name, fn]) => [pascalCase(name), fn])),
      queues: (Object.keys(QUEUES) as QueueKey[]).map((key) => ({ queue: queues[key], consumer: consumers[key] })),
      otherDeadLetterQueues: { 'start-crawl': schedule.deadLetterQueue },
      tables: tables.all(),
      ...(props.oldestMessageAge !== undefined ? { oldestMessageAge: props.oldestMessageAge } : {}),
    });

    new CfnOutput(this, 'AlarmTopicArn', { value: alerts.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'StartCrawlDeadLetterQueueUrl', { value: schedule.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ApiUrl', {
      value: managementApi.url,
      description: 'The management API (IAM-authorized: sign requests with SigV4, service execute-api)',
    });
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    new CfnOutput(this, 'SecretsKeyArn', { value: secrets.key.keyArn });
    for (const table of tables.all())
      new CfnOutput(this, `${pascalCase(table.key)}TableName`, { value: table.tableName });
    for (const queue of Object.values(queues)) {
      new CfnOutput(this, `${pascalCase(queue.key)}QueueUrl`, { value: queue.queue.queueUrl });
      new CfnOutput(this, `${pascalCase(queue.key)}DeadLetterQueueUrl`, { value: queue.deadLetterQueue.queueUrl });
    }
  }
}
