import { inject, injectable } from 'inversify';
import type { PagePosition } from '../../domain/cursor.js';
import type { Feed } from '../../domain/feed.js';
import type { FeedPageReader } from '../ports/feed-store.port.js';
import type { Page } from '../ports/page.js';
import { TOKENS } from '../tokens.js';

/** The most store reads one `page` makes to fill itself: a store page may come back short, even empty. */
const MAX_READS_PER_PAGE = 10;

/** Lists the feed table, page by page, in the order a scan reads it. */
@injectable()
export class ListFeeds {
  constructor(@inject(TOKENS.FeedPageReader) private readonly pages: FeedPageReader) {}

  async *execute(pageSize = 500): AsyncGenerator<Feed> {
    let after: PagePosition | undefined;
    do {
      const page = await this.pages.readPage(after, pageSize);
      yield* page.items;
      after = page.next;
    } while (after !== undefined);
  }

  /**
   * One page of at most `limit` feeds from `after` (a position an earlier page returned; absent: the start).
   * The page is filled from as many store pages as it takes (a few at most); `next` is absent on the last.
   */
  async page(limit: number, after?: PagePosition): Promise<Page<Feed>> {
    return fillPage(limit, after, (position, wanted) => this.pages.readPage(position, wanted));
  }
}

/**
 * Reads store pages from `after` until `limit` items are in hand or the store has no more: a store page may be
 * short (DynamoDB's 1 MB cap) or empty and still have a next one. Bounded, so one call stays cheap.
 */
export async function fillPage<T>(
  limit: number,
  after: PagePosition | undefined,
  read: (after: PagePosition | undefined, limit: number) => Promise<Page<T>>,
): Promise<Page<T>> {
  const items: T[] = [];
  let position = after;
  for (let reads = 0; reads < MAX_READS_PER_PAGE && items.length < limit; reads++) {
    const page = await read(position, limit - items.length);
    items.push(...page.items);
    position = page.next;
    if (position === undefined) return { items };
  }
  return { items, ...(position !== undefined ? { next: position } : {}) };
}
