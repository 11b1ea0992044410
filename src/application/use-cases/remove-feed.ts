import { inject, injectable } from 'inversify';
import { NotFoundError } from '../errors.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import { TOKENS } from '../tokens.js';

/**
 * Removes one feed by its id, as `RemoveFeeds` does by URL: its stored articles and its subscriptions stay
 * (re-adding the feed finds them). A feed that is not there is a `NotFoundError`.
 */
@injectable()
export class RemoveFeed {
  constructor(@inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository) {}

  async execute(feedId: string): Promise<void> {
    if (!(await this.feeds.remove(feedId))) throw new NotFoundError(`no feed ${feedId}`);
  }
}
