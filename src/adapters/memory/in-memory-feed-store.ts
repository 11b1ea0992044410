import type { PagePosition } from '../../domain/cursor.js';
import { FEED_UPDATE_ATTRIBUTES, layoutOf, type Feed, type FeedLayout, type FeedUpdate } from '../../domain/feed.js';
import { grownShardCount } from '../../domain/subscription.js';
import type {
  CommitResult,
  FeedPageReader,
  FeedRepository,
  ScanSegment,
} from '../../application/ports/feed-store.port.js';
import type { Page } from '../../application/ports/page.js';
import { fullPages, paginate, SortedMap, type PageBudget } from './paginate.js';

/**
 * The feed table in memory, paged by feed id like a DynamoDB scan; a parallel scan's segment holds the
 * feeds whose id hashes to it, so the segments are disjoint and together hold every feed.
 */
export class InMemoryFeedStore implements FeedRepository, FeedPageReader {
  private readonly feeds = new SortedMap<Feed>();

  constructor(private readonly budget: PageBudget = fullPages) {}

  async get(feedId: string): Promise<Feed | undefined> {
    return this.feeds.get(feedId);
  }

  async layoutsOf(feedIds: readonly string[]): Promise<Map<string, FeedLayout>> {
    const layouts = new Map<string, FeedLayout>();
    for (const id of feedIds) {
      const feed = this.feeds.get(id);
      if (feed) layouts.set(id, layoutOf(feed));
    }
    return layouts;
  }

  async addNew(feeds: readonly Feed[]): Promise<Feed[]> {
    const added: Feed[] = [];
    for (const feed of feeds) {
      if (this.feeds.has(feed.id)) continue;
      this.feeds.set(feed.id, feed);
      added.push(feed);
    }
    return added;
  }

  async commit(feedId: string, expectedVersion: number, update: FeedUpdate): Promise<CommitResult> {
    const current = this.feeds.get(feedId);
    if (!current || current.version !== expectedVersion) return 'conflict';
    const next: Record<string, unknown> = { ...current, version: expectedVersion + 1 };
    for (const attribute of FEED_UPDATE_ATTRIBUTES) {
      if (update[attribute] === undefined) delete next[attribute];
      else next[attribute] = update[attribute];
    }
    this.feeds.set(feedId, next as unknown as Feed);
    return {
      ...(current.subscribers !== undefined ? { subscribers: current.subscribers } : {}),
      subscriberShards: current.subscriberShards ?? 1,
    };
  }

  /** Puts a feed as it is, whatever is stored (to arrange a test). */
  put(feed: Feed): void {
    this.feeds.set(feed.id, feed);
  }

  async remove(feedId: string): Promise<boolean> {
    return this.feeds.delete(feedId);
  }

  async addSubscribers(
    feedId: string,
    added: number,
    perShard: number,
  ): Promise<{ subscribers: number; subscriberShards: number }> {
    const feed = this.feeds.get(feedId);
    if (!feed) throw new Error(`no feed ${feedId} to count subscribers of`);
    const subscribers = (feed.subscribers ?? 0) + added;
    const subscriberShards = grownShardCount(feed.subscriberShards ?? 1, subscribers, perShard);
    this.feeds.set(feedId, { ...feed, subscribers, subscriberShards, unpacked: true });
    return { subscribers, subscriberShards };
  }

  async readPage(after: PagePosition | undefined, limit: number, segment?: ScanSegment): Promise<Page<Feed>> {
    const all = this.feeds.values();
    const feeds =
      segment === undefined || segment.segments === 1
        ? all
        : all.filter((feed) => segmentOf(feed.id, segment.segments) === segment.segment);
    return paginate(feeds, (f) => f.id, after, limit, this.budget, 'id');
  }

  async approximateCount(): Promise<number> {
    return this.feeds.size;
  }
}

/** A stable spread of ids over segments (FNV-1a). */
function segmentOf(id: string, segments: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % segments;
}
