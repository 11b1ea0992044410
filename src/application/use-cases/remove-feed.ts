import { inject, injectable } from 'inversify';
import { NotFoundError } from '../errors.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { SubscriptionRepository } from '../ports/subscription-store.port.js';
import { TOKENS } from '../tokens.js';

/**
 * Removes one feed by its id, as `RemoveFeeds` does by URL: its stored articles and its subscriptions stay
 * (re-adding the feed finds them). A feed that is not there is a `NotFoundError`.
 */
@injectable()
export class RemoveFeed {
  constructor(
    @inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository,
    @inject(TOKENS.SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
  ) {}

  async execute(feedId: string): Promise<void> {
    await this.subscriptions.noteRemoved([feedId]);
    if (!(await this.feeds.remove(feedId))) throw new NotFoundError(`no feed ${feedId}`);
  }
}
