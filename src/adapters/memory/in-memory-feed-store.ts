import type { PagePosition } from '../../domain/cursor.js';
import type { Feed } from '../../domain/feed.js';
import { grownShardCount } from '../../domain/subscription.js';
import type { FeedPageReader, FeedRepository } from '../../application/ports/feed-store.port.js';
import type { Page } from '../../application/ports/page.js';
import { fullPages, paginate, SortedMap, type PageBudget } from './paginate.js';

/** The feed table in memory, paged by feed id like a DynamoDB scan. */
export class InMemoryFeedStore implements FeedRepository, FeedPageReader {
  private readonly feeds = new SortedMap<Feed>();

  constructor(private readonly budget: PageBudget = fullPages) {}

  async get(feedId: string): Promise<Feed | undefined> {
    return this.feeds.get(feedId);
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

  async save(feed: Feed): Promise<void> {
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
    this.feeds.set(feedId, { ...feed, subscribers, subscriberShards });
    return { subscribers, subscriberShards };
  }

  async readPage(after: PagePosition | undefined, limit: number): Promise<Page<Feed>> {
    return paginate(this.feeds.values(), (f) => f.id, after, limit, this.budget, 'id');
  }
}
