import { QUEUES, QUEUE_FOR_MESSAGE, DISCOVERY_RULE } from '../../src/adapters/aws-resources.js';
import { envelopeOf } from '../../src/adapters/eventbridge/envelope.js';
import type { Article, StoredArticle } from '../../src/domain/article.js';
import type { ArticlesDiscovered, CrawlRun, DeliveryState, FeedRunOutcome } from '../../src/domain/crawl-run.js';
import type { PagePosition } from '../../src/domain/cursor.js';
import type { Feed } from '../../src/domain/feed.js';
import type { Subscription } from '../../src/domain/subscription.js';
import type { ArticleStore } from '../../src/application/ports/article-store.port.js';
import type { EventPublisher } from '../../src/application/ports/event-publisher.port.js';
import type { FeedPageReader, FeedRepository } from '../../src/application/ports/feed-store.port.js';
import type { Page } from '../../src/application/ports/page.js';
import type { RunStore } from '../../src/application/ports/run-store.port.js';
import type { ClaimResult, StepLedger, StepRecord } from '../../src/application/ports/step-ledger.port.js';
import type {
  SubscriberPageReader,
  SubscriptionRepository,
} from '../../src/application/ports/subscription-store.port.js';
import type { WorkDispatcher } from '../../src/application/ports/work-dispatcher.port.js';
import type { WorkMessage } from '../../src/application/work-messages.js';
import { ITEM_BYTES, readUnitsOf, writeUnitsOf, type SimulatedAws } from './aws-model.js';
import type { LambdaPlatform } from './lambda-platform.js';

/*
 * Delaying, counting decorators: each port call becomes the DynamoDB, SQS or EventBridge requests the AWS
 * adapter would send for it (the same operations `crawl --json` counts), each waiting its virtual latency and,
 * for DynamoDB, its partition's throughput.
 */

/** Runs `work` over `items` with at most `limit` at a time (as the AWS adapters do). */
async function concurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

export class MeteredFeedStore implements FeedRepository, FeedPageReader {
  constructor(
    private readonly inner: FeedRepository & FeedPageReader,
    private readonly aws: SimulatedAws,
  ) {}

  async get(feedId: string): Promise<Feed | undefined> {
    await this.aws.dynamodb({ table: 'feeds', operation: 'GetItem', partition: feedId, readUnits: 1 });
    return this.inner.get(feedId);
  }

  async addNew(feeds: readonly Feed[]): Promise<Feed[]> {
    for (const feed of feeds) {
      await this.aws.dynamodb({ table: 'feeds', operation: 'PutItem', partition: feed.id, writeUnits: 1 });
    }
    return this.inner.addNew(feeds);
  }

  async save(feed: Feed): Promise<void> {
    const writeUnits = writeUnitsOf(ITEM_BYTES.feed);
    await this.aws.dynamodb({ table: 'feeds', operation: 'PutItem', partition: feed.id, writeUnits });
    return this.inner.save(feed);
  }

  async remove(feedId: string): Promise<boolean> {
    await this.aws.dynamodb({ table: 'feeds', operation: 'DeleteItem', partition: feedId, writeUnits: 1 });
    return this.inner.remove(feedId);
  }

  async readPage(after: PagePosition | undefined, limit: number): Promise<Page<Feed>> {
    const page = await this.inner.readPage(after, limit);
    const readUnits = readUnitsOf(Math.max(1, page.items.length) * ITEM_BYTES.feed, false);
    await this.aws.dynamodb({ table: 'feeds', operation: 'Scan', readUnits });
    return page;
  }
}

export class MeteredSubscriptions implements SubscriptionRepository, SubscriberPageReader {
  constructor(
    private readonly inner: SubscriptionRepository & SubscriberPageReader,
    private readonly aws: SimulatedAws,
  ) {}

  async add(subscription: Subscription): Promise<Subscription> {
    const partition = subscription.feedId;
    await this.aws.dynamodb({ table: 'subscriptions', operation: 'PutItem', partition, writeUnits: 1 });
    return this.inner.add(subscription);
  }

  async get(feedId: string, subscriptionId: string): Promise<Subscription | undefined> {
    await this.aws.dynamodb({ table: 'subscriptions', operation: 'GetItem', partition: feedId, readUnits: 1 });
    return this.inner.get(feedId, subscriptionId);
  }

  async end(feedId: string, subscriptionId: string): Promise<void> {
    await this.aws.dynamodb({ table: 'subscriptions', operation: 'UpdateItem', partition: feedId, writeUnits: 1 });
    return this.inner.end(feedId, subscriptionId);
  }

  async readPage(feedId: string, after: PagePosition | undefined, limit: number): Promise<Page<Subscription>> {
    const page = await this.inner.readPage(feedId, after, limit);
    const readUnits = readUnitsOf(Math.max(1, page.items.length) * ITEM_BYTES.subscription, true);
    await this.aws.dynamodb({ table: 'subscriptions', operation: 'Query', partition: feedId, readUnits });
    return page;
  }
}

export class MeteredArticleStore implements ArticleStore {
  constructor(
    private readonly inner: ArticleStore,
    private readonly aws: SimulatedAws,
  ) {}

  async storeFirstSeen(
    feedId: string,
    runId: string,
    articles: readonly Article[],
    now: Date,
  ): Promise<StoredArticle[]> {
    for (const batch of chunks(articles, 100)) {
      await this.aws.dynamodb({
        table: 'articles',
        operation: 'BatchGetItem',
        partition: feedId,
        readUnits: batch.length * 0.5,
      });
    }
    const stored = await this.inner.storeFirstSeen(feedId, runId, articles, now);
    const writeUnits = writeUnitsOf(ITEM_BYTES.article);
    await concurrently(stored, 8, () =>
      this.aws.dynamodb({ table: 'articles', operation: 'PutItem', partition: feedId, writeUnits }),
    );
    return stored;
  }

  async getMany(feedId: string, articleIds: readonly string[]): Promise<StoredArticle[]> {
    for (const batch of chunks(articleIds, 100)) {
      await this.aws.dynamodb({
        table: 'articles',
        operation: 'BatchGetItem',
        partition: feedId,
        readUnits: batch.length,
      });
    }
    return this.inner.getMany(feedId, articleIds);
  }
}

/** The ledger's partition: a step id `a#b#c` is item `c` of chain `a#b`, as in the DynamoDB ledger. */
const chainOf = (stepId: string): string => stepId.slice(0, Math.max(0, stepId.lastIndexOf('#')));

export class MeteredStepLedger implements StepLedger {
  constructor(
    private readonly inner: StepLedger,
    private readonly aws: SimulatedAws,
  ) {}

  async claim(stepId: string, owner: string, leaseSeconds: number, now: Date): Promise<ClaimResult> {
    const partition = chainOf(stepId);
    await this.aws.dynamodb({ table: 'steps', operation: 'UpdateItem', partition, writeUnits: 1 });
    const result = await this.inner.claim(stepId, owner, leaseSeconds, now);
    // A refused claim reads the step to tell done from held.
    if (result !== 'claimed') {
      await this.aws.dynamodb({ table: 'steps', operation: 'GetItem', partition, readUnits: 1 });
    }
    return result;
  }

  async complete(stepId: string, owner: string, record?: StepRecord): Promise<void> {
    const partition = chainOf(stepId);
    await this.aws.dynamodb({ table: 'steps', operation: 'UpdateItem', partition, writeUnits: 1 });
    return this.inner.complete(stepId, owner, record);
  }

  async release(stepId: string, owner: string): Promise<void> {
    const partition = chainOf(stepId);
    await this.aws.dynamodb({ table: 'steps', operation: 'DeleteItem', partition, writeUnits: 1 });
    return this.inner.release(stepId, owner);
  }

  async completed(prefix: string): Promise<StepRecord[]> {
    const records = await this.inner.completed(prefix);
    const pages = Math.max(1, Math.ceil((records.length * ITEM_BYTES.step) / (1024 * 1024)));
    for (let page = 0; page < pages; page++) {
      await this.aws.dynamodb({
        table: 'steps',
        operation: 'Query',
        partition: chainOf(prefix),
        readUnits: readUnitsOf(Math.min(records.length * ITEM_BYTES.step, 1024 * 1024) || 1),
      });
    }
    return records;
  }
}

export class MeteredRunStore implements RunStore {
  constructor(
    private readonly inner: RunStore,
    private readonly aws: SimulatedAws,
  ) {}

  private write(runId: string, operation = 'PutItem'): Promise<void> {
    return this.aws.dynamodb({ table: 'runs', operation, partition: runId, writeUnits: 1 });
  }

  private async query(runId: string, items: number): Promise<void> {
    const bytes = Math.max(1, items) * ITEM_BYTES.outcome;
    for (let done = 0; done < bytes; done += 1024 * 1024) {
      const readUnits = readUnitsOf(Math.min(1024 * 1024, bytes - done));
      await this.aws.dynamodb({ table: 'runs', operation: 'Query', partition: runId, readUnits });
    }
  }

  async create(run: CrawlRun): Promise<void> {
    await this.write(run.id);
    return this.inner.create(run);
  }

  async get(runId: string): Promise<CrawlRun | undefined> {
    await this.aws.dynamodb({ table: 'runs', operation: 'GetItem', partition: runId, readUnits: 1 });
    return this.inner.get(runId);
  }

  async recordFeedOutcome(runId: string, feedId: string, outcome: FeedRunOutcome, newArticles: number): Promise<void> {
    await this.write(runId);
    return this.inner.recordFeedOutcome(runId, feedId, outcome, newArticles);
  }

  async recordDelivery(runId: string, notificationId: string, state: DeliveryState): Promise<void> {
    await this.write(runId);
    return this.inner.recordDelivery(runId, notificationId, state);
  }

  async feedOutcomes(runId: string): Promise<{ outcome: FeedRunOutcome; newArticles: number }[]> {
    const outcomes = await this.inner.feedOutcomes(runId);
    await this.query(runId, outcomes.length);
    return outcomes;
  }

  async deliveries(runId: string): Promise<DeliveryState[]> {
    const states = await this.inner.deliveries(runId);
    await this.query(runId, states.length);
    return states;
  }
}

/** SQS's limits on one SendMessageBatch. */
const BATCH_ENTRIES = 10;
const BATCH_BYTES = 256 * 1024;
/** Batches one dispatch sends at a time, as `SqsWorkDispatcher` does. */
const CONCURRENT_BATCHES = 4;

/**
 * Sends work messages to the simulated queues as `SqsWorkDispatcher` does: grouped by queue (by message
 * type, `QUEUE_FOR_MESSAGE`), in batches of 10 entries and 256 KB, four batches at a time. A message becomes
 * visible when its batch's request completes.
 */
export class SimulatedWorkDispatcher implements WorkDispatcher {
  constructor(
    private readonly platform: LambdaPlatform,
    private readonly aws: SimulatedAws,
  ) {}

  async dispatch(messages: readonly WorkMessage[], options: { delaySeconds?: number } = {}): Promise<void> {
    const byQueue = new Map<string, string[]>();
    for (const message of messages) {
      const key = QUEUE_FOR_MESSAGE[message.type];
      if (key === undefined) throw new Error(`no queue carries "${message.type}" messages`);
      const name = QUEUES[key].name;
      let bodies = byQueue.get(name);
      if (!bodies) byQueue.set(name, (bodies = []));
      bodies.push(JSON.stringify(message));
    }
    const batches: { queue: string; bodies: string[] }[] = [];
    for (const [queue, bodies] of byQueue) {
      let current: string[] = [];
      let bytes = 0;
      for (const body of bodies) {
        const size = Buffer.byteLength(body, 'utf8');
        if (size > BATCH_BYTES) throw new Error(`a message to ${queue} is over 256 KB`);
        if (current.length === BATCH_ENTRIES || bytes + size > BATCH_BYTES) {
          batches.push({ queue, bodies: current });
          current = [];
          bytes = 0;
        }
        current.push(body);
        bytes += size;
      }
      if (current.length > 0) batches.push({ queue, bodies: current });
    }
    await concurrently(batches, CONCURRENT_BATCHES, async ({ queue, bodies }) => {
      await this.aws.sqs('SendMessageBatch');
      for (const body of bodies) this.platform.send(queue, body, options.delaySeconds ?? 0);
    });
  }
}

/**
 * The event bus and its discovery rule: `PutEvents` of up to 10 entries a request, one after the other as
 * the EventBridge publisher sends them; each event, in its envelope, lands on the fan-out queue.
 */
export class SimulatedEventBus implements EventPublisher {
  private published = 0;
  /** Virtual time of the first discovery put on the bus: where a fan-out starts. */
  firstPublishedAt?: number;

  constructor(
    private readonly platform: LambdaPlatform,
    private readonly aws: SimulatedAws,
    private readonly now: () => number,
  ) {}

  async publish(events: readonly ArticlesDiscovered[]): Promise<void> {
    for (const batch of chunks(events, 10)) {
      this.firstPublishedAt ??= this.now();
      await this.aws.eventBridge(batch.length);
      for (const event of batch) {
        this.published++;
        const envelope = envelopeOf(event, `evt-${this.published}`);
        this.platform.send(QUEUES[DISCOVERY_RULE.target].name, JSON.stringify(envelope));
      }
    }
  }
}
