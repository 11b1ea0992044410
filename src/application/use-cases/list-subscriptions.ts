import { inject, injectable } from 'inversify';
import type { PagePosition } from '../../domain/cursor.js';
import { feedIdFor } from '../../domain/feed.js';
import type { Subscription } from '../../domain/subscription.js';
import type { SubscriberPageReader } from '../ports/subscription-store.port.js';
import { TOKENS } from '../tokens.js';
import { ListFeeds } from './list-feeds.js';

/** Lists the subscriptions of one feed, or of every feed, page by page. */
@injectable()
export class ListSubscriptions {
  constructor(
    @inject(TOKENS.SubscriberPageReader) private readonly pages: SubscriberPageReader,
    @inject(ListFeeds) private readonly feeds: ListFeeds,
  ) {}

  async *execute(feedUrl?: string, pageSize = 500): AsyncGenerator<Subscription> {
    if (feedUrl !== undefined) {
      yield* this.ofFeed(feedIdFor(feedUrl), pageSize);
      return;
    }
    for await (const feed of this.feeds.execute(pageSize)) yield* this.ofFeed(feed.id, pageSize);
  }

  private async *ofFeed(feedId: string, pageSize: number): AsyncGenerator<Subscription> {
    let after: PagePosition | undefined;
    do {
      const page = await this.pages.readPage(feedId, after, pageSize);
      yield* page.items;
      after = page.next;
    } while (after !== undefined);
  }
}
