import { inject, injectable } from 'inversify';
import type { PagePosition } from '../../domain/cursor.js';
import type { Feed } from '../../domain/feed.js';
import type { FeedPageReader } from '../ports/feed-store.port.js';
import { TOKENS } from '../tokens.js';

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
}
