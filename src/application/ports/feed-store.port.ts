import type { Feed, FeedLayout, FeedUpdate } from '../../domain/feed.js';
import type { PagePosition } from '../../domain/cursor.js';
import type { Page } from './page.js';

/**
 * What a conditional commit found: the feed was at the expected version (now changed), with its subscriber
 * count and shards as they stood at that instant; or it was not (`conflict`), and nothing was written.
 */
export type CommitResult = 'conflict' | CommittedFeed;

export interface CommittedFeed {
  /** Subscriptions ever stored for the feed; absent for a feed from before counts were kept. */
  readonly subscribers?: number;
  readonly subscriberShards: number;
}

/** The feed table: what the crawler knows of each feed. */
export interface FeedRepository {
  get(feedId: string): Promise<Feed | undefined>;
  /**
   * The subscriber shards (K) and the subscription layout of each of the feeds that is there, by id, read at
   * once (strongly consistent); a feed that is not there is not in the map.
   */
  layoutsOf(feedIds: readonly string[]): Promise<Map<string, FeedLayout>>;
  /** Adds the feeds that are not there yet; returns those it added. */
  addNew(feeds: readonly Feed[]): Promise<Feed[]>;
  /**
   * Writes a fetch's new state if the feed is still at `expectedVersion`, and moves it to the next version.
   * A feed removed meanwhile, or changed by another writer, is a `conflict`: nothing is written.
   */
  commit(feedId: string, expectedVersion: number, update: FeedUpdate): Promise<CommitResult>;
  remove(feedId: string): Promise<boolean>;
  /**
   * Counts `added` more subscriptions on the feed (one atomic add) and doubles its subscriber shards while
   * the count exceeds shards × `perShard` (K only grows). Returns the count and K after the change. The feed is
   * then `unpacked`: the subscriptions counted are written as items of their own.
   */
  addSubscribers(
    feedId: string,
    added: number,
    perShard: number,
  ): Promise<{ readonly subscribers: number; readonly subscriberShards: number }>;
}

/** One of `segments` disjoint parts of the table, scanned by its own relay (DynamoDB's parallel scan). */
export interface ScanSegment {
  readonly segment: number;
  readonly segments: number;
}

/** Reads the feed table one page at a time, from an opaque position, never the whole table at once. */
export interface FeedPageReader {
  readPage(after: PagePosition | undefined, limit: number, segment?: ScanSegment): Promise<Page<Feed>>;
  /** About how many feeds the table holds (it may lag by hours); undefined when the store cannot tell. */
  approximateCount(): Promise<number | undefined>;
}
