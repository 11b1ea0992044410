import { inject, injectable } from 'inversify';
import { feedIdFor } from '../../domain/feed.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { SubscriptionRepository } from '../ports/subscription-store.port.js';
import { TOKENS } from '../tokens.js';

/**
 * Removes feeds from the feed table; their stored articles and subscriptions stay, and the subscriptions table
 * notes them removed first (re-adding a feed finds its subscriptions).
 */
@injectable()
export class RemoveFeeds {
  constructor(
    @inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository,
    @inject(TOKENS.SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
  ) {}

  async execute(urls: readonly string[]): Promise<{ removed: string[]; missing: string[] }> {
    const ids = urls.map((url) => ({ url, id: feedIdFor(url) }));
    await this.subscriptions.noteRemoved(ids.map(({ id }) => id));
    const removed: string[] = [];
    const missing: string[] = [];
    for (const { url, id } of ids) ((await this.feeds.remove(id)) ? removed : missing).push(url);
    return { removed, missing };
  }
}
