import type { Feed } from '../../domain/feed.js';
import type { PagePosition } from '../../domain/cursor.js';
import type { Page } from './page.js';

/** The feed table: what the crawler knows of each feed. */
export interface FeedRepository {
  get(feedId: string): Promise<Feed | undefined>;
  /** Adds the feeds that are not there yet; returns those it added. */
  addNew(feeds: readonly Feed[]): Promise<Feed[]>;
  save(feed: Feed): Promise<void>;
  remove(feedId: string): Promise<boolean>;
  /**
   * Counts `added` more subscriptions on the feed (one atomic add) and doubles its subscriber shards while
   * the count exceeds shards × `perShard` (K only grows). Returns the count and K after the change.
   */
  addSubscribers(
    feedId: string,
    added: number,
    perShard: number,
  ): Promise<{ readonly subscribers: number; readonly subscriberShards: number }>;
}

/** Reads the feed table one page at a time, from an opaque position, never the whole table at once. */
export interface FeedPageReader {
  readPage(after: PagePosition | undefined, limit: number): Promise<Page<Feed>>;
}
