import type { Feed, FeedUpdate } from '../../domain/feed.js';
import type { PagePosition } from '../../domain/cursor.js';
import type { Page } from './page.js';

/** What a conditional commit found: the feed at the expected version (now changed), or not. */
export type CommitResult = 'committed' | 'conflict';

/** The feed table: what the crawler knows of each feed. */
export interface FeedRepository {
  get(feedId: string): Promise<Feed | undefined>;
  /** Adds the feeds that are not there yet; returns those it added. */
  addNew(feeds: readonly Feed[]): Promise<Feed[]>;
  /**
   * Writes a fetch's new state if the feed is still at `expectedVersion`, and moves it to the next version.
   * A feed removed meanwhile, or changed by another writer, is a `conflict`: nothing is written.
   */
  commit(feedId: string, expectedVersion: number, update: FeedUpdate): Promise<CommitResult>;
  remove(feedId: string): Promise<boolean>;
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
