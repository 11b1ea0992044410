import { inject, injectable } from 'inversify';
import type { PagePosition } from '../../domain/cursor.js';
import { InvalidCursorError } from '../../domain/errors.js';
import { feedIdFor, type Feed } from '../../domain/feed.js';
import type { Subscription } from '../../domain/subscription.js';
import { NotFoundError } from '../errors.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { Page } from '../ports/page.js';
import type { SubscriberPageReader } from '../ports/subscription-store.port.js';
import { TOKENS } from '../tokens.js';
import { fillPage, ListFeeds } from './list-feeds.js';

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

  /**
   * One page of at most `limit` subscriptions of one feed (ended ones included), from `after` (a position an
   * earlier page of the same feed returned; absent: the start). The shards are read one after the other, so
   * the position names the shard it stands in. A feed that is not there is a `NotFoundError`; a position that
   * is not one of this feed's is an `InvalidCursorError`.
   */
  async page(feedId: string, limit: number, after?: PagePosition): Promise<Page<Subscription>> {
    const feed = await this.feedTable.get(feedId);
    if (!feed) throw new NotFoundError(`no feed ${feedId}`);
    const shards = feed.subscriberShards ?? 1;
    let at = after === undefined ? { shard: 0, position: undefined } : shardPositionOf(after, shards);
    return fillPage(limit, after, async (_, wanted) => {
      const page = await this.pages.readPage(feedId, at.shard, at.position, wanted);
      if (page.next !== undefined) at = { shard: at.shard, position: page.next };
      else if (at.shard + 1 < shards) at = { shard: at.shard + 1, position: undefined };
      else return { items: page.items };
      return { items: page.items, next: positionIn(at.shard, at.position) };
    });
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

/** A subscriptions page position: the shard, and the store's position inside it (its keys behind `at:`). */
function positionIn(shard: number, position: PagePosition | undefined): PagePosition {
  const inner = Object.entries(position ?? {}).map(([key, value]) => [`at:${key}`, value] as const);
  return { shard, ...Object.fromEntries(inner) };
}

function shardPositionOf(
  position: PagePosition,
  shards: number,
): { shard: number; position: PagePosition | undefined } {
  const { shard, ...rest } = position;
  if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new InvalidCursorError('the cursor does not name a shard of this feed');
  }
  const inner: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (!key.startsWith('at:')) throw new InvalidCursorError('the cursor is not a position in subscriptions');
    inner[key.slice('at:'.length)] = value;
  }
  return { shard, position: Object.keys(inner).length > 0 ? inner : undefined };
}
