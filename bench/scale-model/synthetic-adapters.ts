import type { ParsedItem, StoredArticle } from '../../src/domain/article.js';
import type { PagePosition } from '../../src/domain/cursor.js';
import { layoutOf, type Feed, type FeedLayout, type FeedUpdate } from '../../src/domain/feed.js';
import type { Subscription } from '../../src/domain/subscription.js';
import type { ArticleStore } from '../../src/application/ports/article-store.port.js';
import type { Clock } from '../../src/application/ports/clock.port.js';
import type { FeedFetcher, FetchRequest, FetchResult } from '../../src/application/ports/feed-fetcher.port.js';
import type {
  CommitResult,
  FeedPageReader,
  FeedRepository,
  ScanSegment,
} from '../../src/application/ports/feed-store.port.js';
import type {
  DeliveryResult,
  Notification,
  NotificationSink,
} from '../../src/application/ports/notification-sink.port.js';
import type { Page } from '../../src/application/ports/page.js';
import type { ClaimResult, StepLedger, StepRecord } from '../../src/application/ports/step-ledger.port.js';
import type {
  PlacedSubscription,
  SubscriberPageReader,
  SubscriptionRepository,
} from '../../src/application/ports/subscription-store.port.js';
import { CPU_MS } from '../cpu-model.js';
import { chargeCpu, ITEM_BYTES, LIMITS } from './aws-model.js';
import { lognormal, type VirtualTime } from './virtual-time.js';

/*
 * Stateless, arithmetic stand-ins for the tables that would hold millions of items, and compact stand-ins for
 * the ledger and run records: real implementations of the ports, small enough for 10 million feeds.
 */

const pad = (n: number): string => String(n).padStart(10, '0');
export const feedIdAt = (index: number): string => `feed-${pad(index)}`;
export const subscriptionIdAt = (index: number): string => `sub-${pad(index)}`;
const indexOf = (id: string, prefix: string): number => {
  if (!id.startsWith(prefix)) return -1;
  const n = Number(id.slice(prefix.length));
  return Number.isSafeInteger(n) ? n : -1;
};
export const feedIndexOf = (id: string): number => indexOf(id.split('#')[0]!, 'feed-');
const urlIndexOf = (url: string): number => {
  const match = /\/(\d+)\.xml$/.exec(url);
  return match ? Number(match[1]) : -1;
};

/** Items a page of `itemBytes`-sized items may hold: the limit, or fewer when 1 MB comes first. */
export const pageItems = (limit: number, itemBytes: number): number =>
  Math.max(1, Math.min(limit, Math.floor(LIMITS.pageBytes / itemBytes)));

/** The time the application sees: the virtual clock. */
export class VirtualClock implements Clock {
  constructor(private readonly time: VirtualTime) {}

  now(): Date {
    return this.time.date();
  }
}

/**
 * A feed table of `count` feeds, computed from the position: feed i is `feed-<i>` at
 * `https://h<i>.feeds.example/<i>.xml` (each on a host of its own, as a crawl's feeds are spread over many
 * hosts: one slow answer holds its host only, not the whole table), active, due, at version 0, with an ETag
 * from an earlier crawl. A commit
 * moves the feed to its next version (one byte a feed: a run commits each feed at most once); nothing else
 * of the table changes.
 */
export class SyntheticFeedTable implements FeedRepository, FeedPageReader {
  private readonly versions: Uint8Array;
  commits = 0;

  constructor(
    readonly count: number,
    private readonly epoch: number,
    /** Extra attributes every feed item carries (e.g. `subscriberShards`). */
    private readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    this.versions = new Uint8Array(count);
  }

  feedAt(index: number): Feed {
    const past = new Date(this.epoch - 3_600_000).toISOString();
    return {
      ...this.extra,
      id: feedIdAt(index),
      url: `https://h${index}.feeds.example/${index}.xml`,
      title: `Feed ${index}`,
      etag: '"v1"',
      nextFetchAt: past,
      status: 'active',
      errorCount: 0,
      lastFetchedAt: past,
      createdAt: past,
      version: this.versions[index]!,
    } as Feed;
  }

  async get(feedId: string): Promise<Feed | undefined> {
    const index = feedIndexOf(feedId);
    return index >= 0 && index < this.count ? this.feedAt(index) : undefined;
  }

  async layoutsOf(feedIds: readonly string[]): Promise<Map<string, FeedLayout>> {
    const layouts = new Map<string, FeedLayout>();
    for (const id of feedIds) {
      const feed = await this.get(id);
      if (feed) layouts.set(id, layoutOf(feed));
    }
    return layouts;
  }

  async addNew(): Promise<Feed[]> {
    throw new Error('the synthetic feed table is fixed');
  }

  async commit(feedId: string, expectedVersion: number, _update: FeedUpdate): Promise<CommitResult> {
    const index = feedIndexOf(feedId);
    if (index < 0 || index >= this.count || this.versions[index] !== expectedVersion) return 'conflict';
    this.versions[index] = Math.min(255, expectedVersion + 1);
    this.commits++;
    const feed = this.feedAt(index);
    return {
      ...(feed.subscribers !== undefined ? { subscribers: feed.subscribers } : {}),
      subscriberShards: feed.subscriberShards ?? 1,
    };
  }

  async remove(): Promise<boolean> {
    return false;
  }

  async addSubscribers(): Promise<{ subscribers: number; subscriberShards: number }> {
    throw new Error('the synthetic feed table is fixed');
  }

  async readPage(after: PagePosition | undefined, limit: number, segment?: ScanSegment): Promise<Page<Feed>> {
    return this.readSegment(segment?.segment ?? 0, segment?.segments ?? 1, after, limit);
  }

  /** The table's own size, as DescribeTable would tell it: what the crawl's segment count S derives from. */
  async approximateCount(): Promise<number> {
    return this.count;
  }

  /**
   * One page of a parallel scan segment (DynamoDB `Segment`/`TotalSegments`): segment s of S holds the feeds
   * whose index is s modulo S. With one segment this is the plain scan.
   */
  async readSegment(
    segment: number,
    segments: number,
    after: PagePosition | undefined,
    limit: number,
  ): Promise<Page<Feed>> {
    const first = after === undefined ? segment : feedIndexOf(String(after.id)) + segments;
    const size = pageItems(limit, ITEM_BYTES.feed);
    const items: Feed[] = [];
    let index = first;
    for (; index < this.count && items.length < size; index += segments) items.push(this.feedAt(index));
    // Like DynamoDB, a page that stops at its limit carries a key even when nothing follows it.
    if (index >= this.count && items.length < size) return { items };
    return { items, next: { id: items.length > 0 ? items[items.length - 1]!.id : feedIdAt(first - segments) } };
  }
}

/**
 * The subscriptions table: feed 0 (the fan-out's feed) has `count` subscribers `sub-<j>`, every webhook
 * at its own URL; other feeds have none. With K shards, shard k of the feed (partition `<feedId>#<k>`) holds
 * the subscribers with j modulo K = k. The table is fixed: nothing is added or written.
 */
export class SyntheticSubscriptionTable implements SubscriptionRepository, SubscriberPageReader {
  ended = 0;

  constructor(
    readonly count: number,
    private readonly epoch: number,
    readonly shards = 1,
  ) {}

  subscriptionAt(index: number): Subscription {
    return {
      id: subscriptionIdAt(index),
      feedId: feedIdAt(0),
      feedUrl: 'https://feeds.example/0.xml',
      sink: { kind: 'webhook', url: `https://hooks.example/${index}` },
      secret: 'whsec_c2NhbGUtbW9kZWwtc2VjcmV0',
      createdAt: new Date(this.epoch - 86_400_000).toISOString(),
      status: 'active',
    };
  }

  async add(): Promise<Subscription> {
    throw new Error('the synthetic subscription table is fixed');
  }

  async get(feedId: string, subscriptionId: string): Promise<Subscription | undefined> {
    return (await this.findMany(feedId, [subscriptionId]))[0]?.subscription;
  }

  async findMany(feedId: string, subscriptionIds: readonly string[]): Promise<PlacedSubscription[]> {
    if (feedIndexOf(feedId) !== 0) return [];
    return [...new Set(subscriptionIds)].flatMap((id) => {
      const index = indexOf(id, 'sub-');
      return index >= 0 && index < this.count
        ? [{ subscription: this.subscriptionAt(index), shard: index % this.shards }]
        : [];
    });
  }

  async putMany(): Promise<void> {
    throw new Error('the synthetic subscription table is fixed');
  }

  async noteRemoved(): Promise<void> {
    throw new Error('the synthetic subscription table is fixed');
  }

  async removedAmong(): Promise<Set<string>> {
    return new Set();
  }

  async end(): Promise<void> {
    this.ended++;
  }

  async rotateSecret(): Promise<boolean> {
    throw new Error('the synthetic subscription table is fixed');
  }

  async readPage(
    feedId: string,
    shard: number,
    after: PagePosition | undefined,
    limit: number,
  ): Promise<Page<Subscription>> {
    if (feedIndexOf(feedId) !== 0 || shard >= this.shards) return { items: [] };
    const shards = this.shards;
    const first = after === undefined ? shard : indexOf(String(after.id), 'sub-') + shards;
    const size = pageItems(limit, ITEM_BYTES.subscription);
    const items: Subscription[] = [];
    let index = first;
    for (; index < this.count && items.length < size; index += shards) items.push(this.subscriptionAt(index));
    if (index >= this.count && items.length < size) return { items };
    return { items, next: { id: items.length > 0 ? items[items.length - 1]!.id : subscriptionIdAt(first - shards) } };
  }
}

/**
 * Articles without keeping them: every article a synthetic feed serves in a 200 is new (its guid is unique
 * per fetch); reading articles back rebuilds them from their ids.
 */
export class SyntheticArticleStore implements ArticleStore {
  stored = 0;

  private readonly discoveries = new Map<string, readonly string[]>();

  async putDiscovery(feedId: string, eventId: string, articles: readonly StoredArticle[]): Promise<void> {
    this.stored += articles.length;
    this.discoveries.set(
      `${feedId}#${eventId}`,
      articles.map((a) => a.id),
    );
  }

  /** The discovery's articles, rebuilt from their ids (a discovery no fetch stored here reads as one article). */
  async getDiscovery(feedId: string, eventId: string): Promise<StoredArticle[]> {
    const articleIds = this.discoveries.get(`${feedId}#${eventId}`) ?? [eventId];
    return articleIds.map((id) => ({
      id,
      feedId,
      title: `Article ${id}`,
      link: `https://feeds.example/articles/${id}`,
      firstSeenAt: new Date(0).toISOString(),
      firstSeenRunId: 'run',
    }));
  }
}

/** Counts of work done per item, one byte each, and a progress curve sampled as the count grows. */
export class Progress {
  readonly perItem: Uint8Array;
  done = 0;
  duplicates = 0;
  /** (virtual seconds, items done, concurrent invocations). */
  readonly samples: [number, number, number][] = [[0, 0, 0]];
  private readonly step: number;
  concurrency: () => number = () => 0;
  /** Called once when the share done first reaches each of `checkpoints`. */
  onCheckpoint?: (share: number) => void;
  private readonly checkpoints = [0.25, 0.75];

  constructor(
    readonly total: number,
    private readonly time: VirtualTime,
  ) {
    this.perItem = new Uint8Array(total);
    this.step = Math.max(1, Math.floor(total / 200));
  }

  mark(index: number): void {
    if (index < 0 || index >= this.total) return;
    if (this.perItem[index]! > 0) this.duplicates++;
    else this.done++;
    if (this.perItem[index]! < 255) this.perItem[index]!++;
    while (this.checkpoints.length > 0 && this.done >= this.checkpoints[0]! * this.total) {
      const share = this.checkpoints.shift()!;
      this.onCheckpoint?.(share);
    }
    if (this.done % this.step === 0 || this.done === this.total) {
      this.samples.push([this.time.now / 1000, this.done, this.concurrency()]);
    }
  }

  /** The virtual time (ms) at which the last item was done. */
  get finishedAt(): number {
    return (this.samples[this.samples.length - 1]?.[0] ?? 0) * 1000;
  }

  get everyItemOnce(): boolean {
    return this.done === this.total && this.duplicates === 0;
  }
}

export interface FeedServerModel {
  /** Share of feeds that changed since the last crawl (answer 200 with new items); the rest answer 304. */
  readonly changedShare: number;
  readonly newItems: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  /** A fetch that would take longer times out (the fetcher's time-out). */
  readonly timeoutMs: number;
}

/**
 * The web of feeds: feed i answers after a lognormal latency (median 300 ms, p99 3 s by default); a fixed
 * share of feeds (picked by index) changed and answer 200 with new items, the others 304.
 */
export class SyntheticFeedFetcher implements FeedFetcher {
  private readonly latency: () => number;
  timeouts = 0;

  constructor(
    private readonly time: VirtualTime,
    random: () => number,
    private readonly model: FeedServerModel,
    readonly progress: Progress,
  ) {
    this.latency = lognormal(random, model.medianMs, model.p99Ms);
  }

  changed(index: number): boolean {
    return ((Math.imul(index + 1, 2654435761) >>> 0) % 10_000) / 10_000 < this.model.changedShare;
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const index = urlIndexOf(request.url);
    const latency = this.latency();
    await this.time.sleep(Math.min(latency, this.model.timeoutMs));
    const fetchNumber = index >= 0 && index < this.progress.total ? this.progress.perItem[index]! : 0;
    this.progress.mark(index);
    if (latency > this.model.timeoutMs) {
      this.timeouts++;
      return { kind: 'failed', error: { code: 'timeout', message: 'the feed server did not answer in time' } };
    }
    chargeCpu(CPU_MS.httpsRequest);
    if (!this.changed(index)) return { kind: 'notModified', status: 304, url: request.url, etag: '"v1"' };
    chargeCpu(CPU_MS.changedFeed);
    const items: ParsedItem[] = Array.from({ length: this.model.newItems }, (_, k) => ({
      guid: `${request.url}#${this.time.now}-${fetchNumber}-${k}`,
      title: `New post ${k}`,
      link: `${request.url}/posts/${this.time.now}-${k}`,
      published: this.time.date().toISOString(),
    }));
    return {
      kind: 'fetched',
      status: 200,
      url: request.url,
      etag: `"v${this.time.now}"`,
      document: { feed: { title: `Feed ${index}` }, items },
    };
  }
}

/** Webhook receivers: each answers 2xx after a lognormal latency (median 200 ms, p99 2 s by default). */
export class SyntheticWebhookSink implements NotificationSink {
  readonly kind = 'webhook';
  private readonly latency: () => number;

  constructor(
    private readonly time: VirtualTime,
    random: () => number,
    model: { readonly medianMs: number; readonly p99Ms: number },
    readonly progress: Progress,
  ) {
    this.latency = lognormal(random, model.medianMs, model.p99Ms);
  }

  async deliver(notification: Notification): Promise<DeliveryResult> {
    await this.time.sleep(this.latency());
    chargeCpu(CPU_MS.httpsRequest);
    this.progress.mark(indexOf(notification.subscription.id, 'sub-'));
    return { kind: 'delivered' };
  }
}

/** A hash of a string to a number below 2^53 (two 32-bit FNV-1a variants): compact keys for large sets. */
export function hash53(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 2097152 + ((b >>> 0) & 0x1fffff);
}

/** A map from numbers, split over several maps so that it may hold more than one map's 16.7 million entries. */
class ShardedMap<V> {
  private readonly shards = Array.from({ length: 16 }, () => new Map<number, V>());

  private shard(key: number): Map<number, V> {
    return this.shards[key % 16]!;
  }

  get(key: number): V | undefined {
    return this.shard(key).get(key);
  }

  set(key: number, value: V): void {
    this.shard(key).set(key, value);
  }

  *values(): IterableIterator<V> {
    for (const shard of this.shards) yield* shard.values();
  }
}

/** The ledger's partition: a step id `a#b#c` is item `c` of chain `a#b`, as in the DynamoDB ledger. */
export const chainOf = (stepId: string): string => stepId.slice(0, Math.max(0, stepId.lastIndexOf('#')));

/**
 * The step ledger with the in-memory ledger's claim rules, kept small: steps in progress by id, completed
 * steps with a record by chain (relay pages, fetch and delivery tallies), completed steps without a record
 * as a 53-bit hash only. `completed(prefix)` reads the prefix's chain, as the DynamoDB ledger's Query does,
 * and therefore lists the completed steps that carry a record.
 */
export class CompactStepLedger implements StepLedger {
  private readonly held = new Map<string, { owner: string; leaseUntil: number }>();
  private readonly records = new Map<string, Map<string, StepRecord>>();
  private readonly doneWithoutRecord = new ShardedMap<true>();

  private done(stepId: string): boolean {
    return (
      this.records.get(chainOf(stepId))?.has(stepId) === true || this.doneWithoutRecord.get(hash53(stepId)) === true
    );
  }

  async isDone(stepId: string): Promise<boolean> {
    return this.done(stepId);
  }

  async record(stepId: string, _now: Date, record?: StepRecord): Promise<'recorded' | 'done'> {
    if (this.done(stepId)) return 'done';
    this.held.delete(stepId);
    this.markDone(stepId, record);
    return 'recorded';
  }

  async claim(stepId: string, owner: string, leaseSeconds: number, now: Date): Promise<ClaimResult> {
    if (this.done(stepId)) return 'done';
    const step = this.held.get(stepId);
    if (step && step.leaseUntil > now.getTime()) return 'busy';
    this.held.set(stepId, { owner, leaseUntil: now.getTime() + leaseSeconds * 1000 });
    return 'claimed';
  }

  async complete(stepId: string, owner: string, record?: StepRecord): Promise<void> {
    const step = this.held.get(stepId);
    if (!step || step.owner !== owner) return;
    this.held.delete(stepId);
    this.markDone(stepId, record);
  }

  private markDone(stepId: string, record: StepRecord | undefined): void {
    if (record) {
      const chain = chainOf(stepId);
      let steps = this.records.get(chain);
      if (!steps) this.records.set(chain, (steps = new Map()));
      steps.set(stepId, record);
    } else this.doneWithoutRecord.set(hash53(stepId), true);
  }

  async release(stepId: string, owner: string): Promise<void> {
    if (this.held.get(stepId)?.owner === owner) this.held.delete(stepId);
  }

  async completed(prefix: string): Promise<StepRecord[]> {
    const found: StepRecord[] = [];
    for (const [id, record] of this.records.get(chainOf(prefix)) ?? []) if (id.startsWith(prefix)) found.push(record);
    return found;
  }

  async abandonClaims(prefix: string): Promise<number> {
    const abandoned = [...this.held.keys()].filter((id) => id.startsWith(prefix));
    for (const id of abandoned) this.held.delete(id);
    return abandoned.length;
  }
}
