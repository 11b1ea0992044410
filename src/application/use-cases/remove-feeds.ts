import { inject, injectable } from 'inversify';
import { feedIdFor } from '../../domain/feed.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import { TOKENS } from '../tokens.js';

/** Removes feeds from the feed table; their stored articles stay. */
@injectable()
export class RemoveFeeds {
  constructor(@inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository) {}

  async execute(urls: readonly string[]): Promise<{ removed: string[]; missing: string[] }> {
    const ids = urls.map((url) => ({ url, id: feedIdFor(url) }));
    const removed: string[] = [];
    const missing: string[] = [];
    for (const { url, id } of ids) ((await this.feeds.remove(id)) ? removed : missing).push(url);
    return { removed, missing };
  }
}
