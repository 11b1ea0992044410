import { QUEUES, QUEUE_FOR_MESSAGE, DISCOVERY_RULE } from '../../src/adapters/aws-resources.js';
import { envelopeOf } from '../../src/adapters/eventbridge/envelope.js';
import type { StoredArticle } from '../../src/domain/article.js';
import type { ArticlesDiscovered, CrawlRun } from '../../src/domain/crawl-run.js';
import type { PagePosition } from '../../src/domain/cursor.js';
import type { Feed, FeedLayout, FeedUpdate, SubscriptionLayout } from '../../src/domain/feed.js';
import {
  candidatePacks,
  candidateShards,
  PACK_SIZE,
  shardOf,
  type Subscription,
} from '../../src/domain/subscription.js';
import type { ArticleStore } from '../../src/application/ports/article-store.port.js';
import type { EventPublisher } from '../../src/application/ports/event-publisher.port.js';
import type {
  CommitResult,
  FeedPageReader,
  FeedRepository,
  ScanSegment,
} from '../../src/application/ports/feed-store.port.js';
import type { Page } from '../../src/application/ports/page.js';
import type { ListedRun, RunStore } from '../../src/application/ports/run-store.port.js';
import type { ClaimResult, StepLedger, StepRecord } from '../../src/application/ports/step-ledger.port.js';
import type {
  PlacedSubscription,
  SubscriberPageReader,
  SubscriptionRepository,
} from '../../src/application/ports/subscription-store.port.js';
import type { WorkDispatcher } from '../../src/application/ports/work-dispatcher.port.js';
import type { WorkMessage } from '../../src/application/work-messages.js';
import { discoveryItemBytes, ITEM_BYTES, readUnitsOf, writeUnitsOf, type SimulatedAws } from './aws-model.js';
import type { LambdaPlatform } from './lambda-platform.js';
import { chainOf } from './synthetic-adapters.js';

/*
 * Delaying, counting decorators: each port call becomes the DynamoDB, SQS or EventBridge requests the AWS
 * adapter sends for it (src/adapters/dynamodb, sqs, eventbridge), each waiting its virtual latency and, for
 * DynamoDB, the throughput of the partition key it lands on and of its table.
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

/** DynamoDB's limits on one BatchWriteItem and one BatchGetItem. */
const BATCH_WRITE_ITEMS = 25;
const BATCH_GET_KEYS = 100;

/** The subscriptions table's partition of one shard of one feed (`feedShardKey` of the DynamoDB adapter). */
const feedShard = (feedId: string, shard: number): string => `${feedId}#${shard}`;

/**
 * The feed table as `DynamoDbFeedStore` uses it: a commit is one conditional UpdateItem on the feed's key,
 * a page one (segment) Scan, eventually consistent, spread over the table; the count one DescribeTable.
 */
export class MeteredFeedStore implements FeedRepository, FeedPageReader {
  constructor(
    private readonly inner: FeedRepository & FeedPageReader,
    private readonly aws: SimulatedAws,
  ) {}

  async get(feedId: string): Promise<Feed | undefined> {
    const readUnits = readUnitsOf(ITEM_BYTES.feed);
    await this.aws.dynamodb({ table: 'feeds', operation: 'GetItem', partition: feedId, readUnits });
    return this.inner.get(feedId);
  }

  async layoutsOf(feedIds: readonly string[]): Promise<Map<string, FeedLayout>> {
    // Strongly consistent, of a few small attributes only: one read unit a key.
    await concurrently(chunks(feedIds, BATCH_GET_KEYS), 4, (batch) =>
      this.aws.dynamodb({ table: 'feeds', operation: 'BatchGetItem', partition: batch[0]!, readUnits: batch.length }),
    );
    return this.inner.layoutsOf(feedIds);
  }

  async addNew(feeds: readonly Feed[]): Promise<Feed[]> {
    const writeUnits = writeUnitsOf(ITEM_BYTES.feed);
    await concurrently(feeds, 10, (feed) =>
      this.aws.dynamodb({ table: 'feeds', operation: 'PutItem', partition: feed.id, writeUnits }),
    );
    return this.inner.addNew(feeds);
  }

  async commit(feedId: string, expectedVersion: number, update: FeedUpdate): Promise<CommitResult> {
    const writeUnits = writeUnitsOf(ITEM_BYTES.feed);
    await this.aws.dynamodb({ table: 'feeds', operation: 'UpdateItem', partition: feedId, writeUnits });
    return this.inner.commit(feedId, expectedVersion, update);
  }

  async remove(feedId: string): Promise<boolean> {
    const writeUnits = writeUnitsOf(ITEM_BYTES.feed);
    await this.aws.dynamodb({ table: 'feeds', operation: 'DeleteItem', partition: feedId, writeUnits });
    return this.inner.remove(feedId);
  }

  async addSubscribers(
    feedId: string,
    added: number,
    perShard: number,
  ): Promise<{ readonly subscribers: number; readonly subscriberShards: number }> {
    const writeUnits = writeUnitsOf(ITEM_BYTES.feed);
    await this.aws.dynamodb({ table: 'feeds', operation: 'UpdateItem', partition: feedId, writeUnits });
    return this.inner.addSubscribers(feedId, added, perShard);
  }

  async readPage(after: PagePosition | undefined, limit: number, segment?: ScanSegment): Promise<Page<Feed>> {
    const page = await this.inner.readPage(after, limit, segment);
    const readUnits = readUnitsOf(Math.max(1, page.items.length) * ITEM_BYTES.feed, false);
    await this.aws.dynamodb({ table: 'feeds', operation: 'Scan', readUnits });
    return page;
  }

  async approximateCount(): Promise<number | undefined> {
    await this.aws.dynamodb({ table: 'feeds', operation: 'DescribeTable' });
    return this.inner.approximateCount();
  }
}

/** A pack as a write rewrites it: three quarters full. */
const PACK_BYTES = ((PACK_SIZE * 3) / 4) * ITEM_BYTES.subscription;

/**
 * The subscriptions table as `DynamoDbSubscriptionStore` uses it: one partition per feed shard
 * (`<feedId>#<shard>`) of subscriptions, on their own or in packs; a page is one consistent Query of one shard
 * (the store may need a second for packs fuller than it guessed: not counted); a lookup reads every place a
 * subscription may be in (its own key and `candidatePacks` of each candidate shard), the one it is in priced as
 * a pack (`PACK_BYTES`) and the rest as the one read unit an empty key costs; a write to a pack there already
 * rewrites the whole pack.
 */
export class MeteredSubscriptions implements SubscriptionRepository, SubscriberPageReader {
  constructor(
    private readonly inner: SubscriptionRepository & SubscriberPageReader,
    private readonly aws: SimulatedAws,
  ) {}

  private async batchGet(feedId: string, subscriptionIds: readonly string[], shards?: number): Promise<void> {
    const ids = [...new Set(subscriptionIds)];
    const keys = ids.flatMap((id) =>
      candidateShards(id, shards).flatMap((shard) => [id, ...candidatePacks(id)].map(() => feedShard(feedId, shard))),
    );
    await concurrently(chunks(keys, BATCH_GET_KEYS), 8, (batch) =>
      this.aws.dynamodb({
        table: 'subscriptions',
        operation: 'BatchGetItem',
        partition: batch[0],
        // Each key a read unit; the packs found (one an id) full, spread over the batches.
        readUnits: batch.length + (ids.length * readUnitsOf(PACK_BYTES) * batch.length) / keys.length,
      }),
    );
  }

  async add(subscription: Subscription, shards = 1): Promise<Subscription> {
    await this.batchGet(subscription.feedId, [subscription.id], shards);
    await this.aws.dynamodb({
      table: 'subscriptions',
      operation: 'PutItem',
      partition: feedShard(subscription.feedId, shardOf(subscription.id, shards)),
      writeUnits: writeUnitsOf(ITEM_BYTES.subscription),
    });
    return this.inner.add(subscription, shards);
  }

  async get(feedId: string, subscriptionId: string): Promise<Subscription | undefined> {
    await this.batchGet(feedId, [subscriptionId]);
    return this.inner.get(feedId, subscriptionId);
  }

  async findMany(
    feedId: string,
    subscriptionIds: readonly string[],
    shards?: number,
    layout?: SubscriptionLayout,
  ): Promise<PlacedSubscription[]> {
    await this.batchGet(feedId, subscriptionIds, shards);
    return this.inner.findMany(feedId, subscriptionIds, shards, layout);
  }

  async putMany(placed: readonly PlacedSubscription[], options: { newPacks?: boolean } = {}): Promise<void> {
    const items = new Map<string, PlacedSubscription[]>();
    for (const one of placed) {
      const name = `${feedShard(one.subscription.feedId, one.shard)} ${one.pack ?? one.subscription.id}`;
      const item = items.get(name) ?? [];
      items.set(name, item);
      item.push(one);
    }
    // Whole items (new packs, items of one subscription) in BatchWriteItems; a subscription into a pack there
    // already in an UpdateItem that rewrites the pack.
    const whole = [...items.values()].filter((item) => options.newPacks || item[0]!.pack === undefined);
    const merged = [...items.values()].filter((item) => !options.newPacks && item[0]!.pack !== undefined);
    await concurrently(chunks(whole, BATCH_WRITE_ITEMS), 8, (batch) =>
      this.aws.dynamodb({
        table: 'subscriptions',
        operation: 'BatchWriteItem',
        partition: feedShard(batch[0]![0]!.subscription.feedId, batch[0]![0]!.shard),
        writeUnits: batch.reduce((sum, item) => sum + writeUnitsOf(item.length * ITEM_BYTES.subscription), 0),
      }),
    );
    await concurrently(merged, 8, (pack) =>
      this.aws.dynamodb({
        table: 'subscriptions',
        operation: 'UpdateItem',
        partition: feedShard(pack[0]!.subscription.feedId, pack[0]!.shard),
        writeUnits: writeUnitsOf(PACK_BYTES),
      }),
    );
    return this.inner.putMany(placed, options);
  }

  async noteRemoved(feedIds: readonly string[]): Promise<void> {
    await concurrently(chunks(feedIds, BATCH_WRITE_ITEMS), 8, (batch) =>
      this.aws.dynamodb({
        table: 'subscriptions',
        operation: 'BatchWriteItem',
        partition: feedShard(batch[0]!, 0),
        writeUnits: batch.length,
      }),
    );
    return this.inner.noteRemoved(feedIds);
  }

  async removedAmong(feedIds: readonly string[]): Promise<Set<string>> {
    await concurrently(chunks(feedIds, BATCH_GET_KEYS), 8, (batch) =>
      this.aws.dynamodb({
        table: 'subscriptions',
        operation: 'BatchGetItem',
        partition: feedShard(batch[0]!, 0),
        readUnits: batch.length,
      }),
    );
    return this.inner.removedAmong(feedIds);
  }

  async rotateSecret(rotated: PlacedSubscription, expectedSecret: string): Promise<boolean> {
    await this.aws.dynamodb({
      table: 'subscriptions',
      operation: 'UpdateItem',
      partition: feedShard(rotated.subscription.feedId, rotated.shard),
      writeUnits: writeUnitsOf(PACK_BYTES),
    });
    return this.inner.rotateSecret(rotated, expectedSecret);
  }

  async end(feedId: string, subscriptionId: string): Promise<void> {
    const [found] = await this.findMany(feedId, [subscriptionId]);
    if (!found) return;
    await this.aws.dynamodb({
      table: 'subscriptions',
      operation: 'UpdateItem',
      partition: feedShard(feedId, found.shard),
      writeUnits: writeUnitsOf(PACK_BYTES),
    });
    return this.inner.end(feedId, subscriptionId);
  }

  async readPage(
    feedId: string,
    shard: number,
    after: PagePosition | undefined,
    limit: number,
  ): Promise<Page<Subscription>> {
    const page = await this.inner.readPage(feedId, shard, after, limit);
    const readUnits = readUnitsOf(Math.max(1, page.items.length) * ITEM_BYTES.subscription, true);
    const partition = feedShard(feedId, shard);
    await this.aws.dynamodb({ table: 'subscriptions', operation: 'Query', partition, readUnits });
    return page;
  }
}

/**
 * The articles table as `DynamoDbArticleStore` uses it, partitioned by feed: one write per discovery (its
 * articles together, gzipped: `discoveryItemBytes`) and one eventually consistent Query to read a discovery
 * back. The store coalesces the discoveries written at the same time into BatchWriteItems of 25; this model
 * counts one request for each discovery, an upper bound on requests (write units are the same either way).
 */
export class MeteredArticleStore implements ArticleStore {
  constructor(
    private readonly inner: ArticleStore,
    private readonly aws: SimulatedAws,
  ) {}

  async putDiscovery(feedId: string, eventId: string, articles: readonly StoredArticle[]): Promise<void> {
    await this.aws.dynamodb({
      table: 'articles',
      operation: 'PutItem',
      partition: feedId,
      writeUnits: writeUnitsOf(discoveryItemBytes(articles.length)),
    });
    return this.inner.putDiscovery(feedId, eventId, articles);
  }

  async getDiscovery(feedId: string, eventId: string): Promise<StoredArticle[]> {
    const articles = await this.inner.getDiscovery(feedId, eventId);
    await this.aws.dynamodb({
      table: 'articles',
      operation: 'Query',
      partition: feedId,
      readUnits: readUnitsOf(discoveryItemBytes(Math.max(1, articles.length)), false),
    });
    return articles;
  }
}

/**
 * The ledger as `DynamoDbStepLedger` uses it: a claim is a conditional UpdateItem (and a GetItem when it is
 * refused), a completion an UpdateItem, an unclaimed step a GetItem and a conditional UpdateItem, all on the
 * step's chain (`fetch#<runId>.<segment>`, `deliver#<runId>.<bucket>`, `relay#<chain>`); the completed steps of
 * a chain are Query pages of 1 MB.
 */
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
    await this.writeDone(stepId, record);
    return this.inner.complete(stepId, owner, record);
  }

  async release(stepId: string, owner: string): Promise<void> {
    const partition = chainOf(stepId);
    await this.aws.dynamodb({ table: 'steps', operation: 'DeleteItem', partition, writeUnits: 1 });
    return this.inner.release(stepId, owner);
  }

  async isDone(stepId: string): Promise<boolean> {
    // Eventually consistent: half a unit.
    await this.aws.dynamodb({ table: 'steps', operation: 'GetItem', partition: chainOf(stepId), readUnits: 0.5 });
    return this.inner.isDone(stepId);
  }

  async record(stepId: string, now: Date, record?: StepRecord): Promise<'recorded' | 'done'> {
    await this.writeDone(stepId, record);
    return this.inner.record(stepId, now, record);
  }

  /**
   * The UpdateItem that marks a step done, completed or recorded: a page step's record names its due feeds or its
   * parts, so the write is priced by the item's size.
   */
  private async writeDone(stepId: string, record: StepRecord | undefined): Promise<void> {
    const writeUnits = writeUnitsOf(ITEM_BYTES.step + (record ? JSON.stringify(record).length : 0));
    await this.aws.dynamodb({ table: 'steps', operation: 'UpdateItem', partition: chainOf(stepId), writeUnits });
  }

  async completed(prefix: string): Promise<StepRecord[]> {
    const records = await this.inner.completed(prefix);
    const bytes = records.reduce((sum, record) => sum + ITEM_BYTES.step + JSON.stringify(record).length, 0);
    const pages = Math.max(1, Math.ceil(bytes / (1024 * 1024)));
    for (let page = 0; page < pages; page++) {
      await this.aws.dynamodb({
        table: 'steps',
        operation: 'Query',
        partition: chainOf(prefix),
        readUnits: readUnitsOf(Math.min(bytes - page * 1024 * 1024, 1024 * 1024) || 1),
      });
    }
    return records;
  }

  async abandonClaims(prefix: string): Promise<number> {
    await this.aws.dynamodb({ table: 'steps', operation: 'Query', partition: chainOf(prefix), readUnits: 1 });
    return this.inner.abandonClaims(prefix);
  }
}

/** The runs table as `DynamoDbRunStore` uses it: a lock item naming the active run, one item per run. */
export class MeteredRunStore implements RunStore {
  constructor(
    private readonly inner: RunStore,
    private readonly aws: SimulatedAws,
  ) {}

  async begin(run: CrawlRun, replacing: string | undefined): Promise<boolean> {
    await this.aws.dynamodb({ table: 'runs', operation: 'UpdateItem', partition: '#active', writeUnits: 1 });
    const begun = await this.inner.begin(run, replacing);
    if (begun) {
      await Promise.all([
        this.aws.dynamodb({ table: 'runs', operation: 'PutItem', partition: run.id, writeUnits: 1 }),
        this.aws.dynamodb({ table: 'runs', operation: 'PutItem', partition: '#runs', writeUnits: 1 }),
      ]);
    }
    return begun;
  }

  async active(): Promise<string | undefined> {
    await this.aws.dynamodb({ table: 'runs', operation: 'GetItem', partition: '#active', readUnits: 1 });
    return this.inner.active();
  }

  async abandonActive(): Promise<void> {
    await this.aws.dynamodb({ table: 'runs', operation: 'DeleteItem', partition: '#active', writeUnits: 1 });
    return this.inner.abandonActive();
  }

  async get(runId: string): Promise<CrawlRun | undefined> {
    await this.aws.dynamodb({ table: 'runs', operation: 'GetItem', partition: runId, readUnits: 1 });
    return this.inner.get(runId);
  }

  async list(limit: number): Promise<ListedRun[]> {
    await this.aws.dynamodb({ table: 'runs', operation: 'Query', partition: '#runs', readUnits: 1 });
    return this.inner.list(limit);
  }

  async markFinished(runId: string): Promise<void> {
    await this.aws.dynamodb({ table: 'runs', operation: 'UpdateItem', partition: '#runs', writeUnits: 1 });
    return this.inner.markFinished(runId);
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
