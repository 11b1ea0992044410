import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { Code } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DISCOVERY_RULE, QUEUES, type QueueKey } from '../src/adapters/aws-resources.js';
import { FeedRelayTables, pascalCase } from './constructs/feedrelay-tables.js';
import { RelayFunction } from './constructs/relay-function.js';
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
  /** Subscribers' queues the deliver function may send to (context `sinkTargets`). Default none. */
  readonly sinkTargets?: SinkTargets;
}

/**
 * feedrelay on AWS: the schedule starts a crawl run; the feed scan relays through its queue and sends fetches;
 * each fetch publishes its discovery to the bus, whose rule starts the fan-out; the subscriber scan relays
 * and sends deliveries.
 */
export class FeedRelayStack extends Stack {
  /** The key that seals webhook secrets: a function that creates or rotates subscriptions binds it with `seal`. */
  readonly secrets: SecretsKey;

  constructor(scope: Construct, id: string, props: FeedRelayStackProps = {}) {
    super(scope, id, props);
    const code = props.code !== undefined ? { code: props.code } : {};
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
    const secrets = new SecretsKey(this, 'Secrets');
    this.secrets = secrets;

    const startCrawl = new RelayFunction(this, 'StartCrawl', {
      handler: 'start-crawl',
      description:
        'Starts a crawl run unless one is still fetching: records it, sends the first page of each scan segment',
      ...code,
    })
      .bindTable(runs, 'read-write')
      .bindTable(steps, 'read')
      .bindTable(feeds, 'read')
      .bindQueue(queues.scanFeeds, 'send');

    const scanFeeds = new RelayFunction(this, 'ScanFeeds', {
      handler: 'scan-feeds',
      description: 'One page of the feed scan: due feeds become fetches, the cursor is relayed',
      consumes: queues.scanFeeds,
      maxConcurrency: maxConcurrency.scanFeeds,
      ...code,
    })
      .bindTable(feeds, 'read')
      .bindTable(steps, 'read-write')
      .bindQueue(queues.scanFeeds, 'send')
      .bindQueue(queues.fetchFeed, 'send');

    const fetchFeed = new RelayFunction(this, 'FetchFeed', {
      handler: 'fetch-feed',
      description: 'Fetches a batch of feeds, stores their new articles and publishes the discoveries',
      consumes: queues.fetchFeed,
      maxConcurrency: maxConcurrency.fetchFeed,
      ...code,
    })
      .bindTable(feeds, 'read-write')
      .bindTable(articles, 'read-write')
      .bindTable(steps, 'read-write')
      .bindEventBus(bus);

    const startFanOut = new RelayFunction(this, 'StartFanOut', {
      handler: 'start-fan-out',
      description: 'Starts the subscriber scan of one discovery: the first page of every shard',
      consumes: queues.startFanOut,
      maxConcurrency: maxConcurrency.startFanOut,
      ...code,
    })
      .bindTable(subscriptions, 'read')
      .bindTable(steps, 'read-write')
      .bindQueue(queues.scanSubscribers, 'send')
      .bindQueue(queues.deliver, 'send');

    const scanSubscribers = new RelayFunction(this, 'ScanSubscribers', {
      handler: 'scan-subscribers',
      description: "One page of a feed's subscribers: each becomes a delivery, the cursor is relayed",
      consumes: queues.scanSubscribers,
      maxConcurrency: maxConcurrency.scanSubscribers,
      ...code,
    })
      .bindTable(subscriptions, 'read')
      .bindTable(steps, 'read-write')
      .bindQueue(queues.scanSubscribers, 'send')
      .bindQueue(queues.deliver, 'send');

    const deliver = new RelayFunction(this, 'Deliver', {
      handler: 'deliver',
      description: 'One page of recipients POSTed at once; a retry carries only who needs one, with a delay',
      consumes: queues.deliver,
      maxConcurrency: maxConcurrency.deliver,
      ...code,
    })
      .bindTable(subscriptions, 'read-write')
      .bindTable(articles, 'read')
      .bindTable(steps, 'read-write')
      .bindQueue(queues.deliver, 'send')
      .bindSecretsKey(secrets, 'open')
      .bindSinkTargets(props.sinkTargets ?? NO_SINK_TARGETS);

    const locations = { tablePrefix: tables.prefix, queues: Object.values(queues), eventBus: bus };
    for (const fn of [startCrawl, scanFeeds, fetchFeed, startFanOut, scanSubscribers, deliver]) {
      fn.addResourceLocations(locations);
    }

    new Rule(this, 'CrawlSchedule', {
      description: 'Starts a crawl run',
      schedule: Schedule.rate(props.crawlRate ?? DEFAULT_CRAWL_RATE),
      targets: [new LambdaFunction(startCrawl, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });

    // A discovery EventBridge cannot deliver lands in the fan-out's dead-letter queue: same alarm, same redrive.
    const fanOut = queues[DISCOVERY_RULE.target];
    new Rule(this, 'DiscoveryRule', {
      description: 'Discoveries start the fan-out',
      eventBus: bus,
      eventPattern: { source: [DISCOVERY_RULE.source], detailType: [DISCOVERY_RULE.detailType] },
      targets: [new SqsQueue(fanOut.queue, { deadLetterQueue: fanOut.deadLetterQueue })],
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
