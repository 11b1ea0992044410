import { inject, injectable } from 'inversify';
import type { Feed } from '../../domain/feed.js';
import { NotFoundError } from '../errors.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import { TOKENS } from '../tokens.js';

/** One feed of the feed table by its id; a feed that is not there is a `NotFoundError`. */
@injectable()
export class GetFeed {
  constructor(@inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository) {}

  async execute(feedId: string): Promise<Feed> {
    const feed = await this.feeds.get(feedId);
    if (!feed) throw new NotFoundError(`no feed ${feedId}`);
    return feed;
  }
}
