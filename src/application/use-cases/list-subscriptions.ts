import { inject, injectable } from 'inversify';
import type { PagePosition } from '../../domain/cursor.js';
import { feedIdFor, type Feed } from '../../domain/feed.js';
import type { Subscription } from '../../domain/subscription.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { SubscriberPageReader } from '../ports/subscription-store.port.js';
import { TOKENS } from '../tokens.js';
import { ListFeeds } from './list-feeds.js';

/** Lists the subscriptions of one feed, or of every feed, page by page. */
@injectable()
export class ListSubscriptions {
  constructor(
    @inject(TOKENS.SubscriberPageReader) private readonly pages: SubscriberPageReader,
    @inject(ListFeeds) private readonly feeds: ListFeeds,
    @inject(TOKENS.FeedRepository) private readonly feedTable: FeedRepository,
  ) {}

  async *execute(feedUrl?: string, pageSize = 500): AsyncGenerator<Subscription> {
    if (feedUrl !== undefined) {
      const feed = await this.feedTable.get(feedIdFor(feedUrl));
      if (feed) yield* this.ofFeed(feed, pageSize);
      return;
    }
    for await (const feed of this.feeds.execute(pageSize)) yield* this.ofFeed(feed, pageSize);
  }

  /** Every shard of the feed, one after the other. */
  private async *ofFeed(feed: Feed, pageSize: number): AsyncGenerator<Subscription> {
    for (let shard = 0; shard < (feed.subscriberShards ?? 1); shard++) {
      let after: PagePosition | undefined;
      do {
        const page = await this.pages.readPage(feed.id, shard, after, pageSize);
        yield* page.items;
        after = page.next;
      } while (after !== undefined);
    }
  }
}
