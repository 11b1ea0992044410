import { inject, injectable } from 'inversify';
import { newFeed, type Feed } from '../../domain/feed.js';
import type { Clock } from '../ports/clock.port.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import { TOKENS } from '../tokens.js';

/**
 * Adds feeds to the feed table. Every URL is checked before anything is written: all or nothing. Adding a
 * feed that had gone (410) again makes it active again: the user says it is worth another look.
 */
@injectable()
export class AddFeeds {
  constructor(
    @inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async execute(entries: readonly { url: string; title?: string }[]): Promise<{ added: Feed[]; existing: number }> {
    const now = this.clock.now();
    const unique = new Map<string, Feed>();
    for (const entry of entries) {
      const feed = newFeed(entry.url, now, entry.title);
      if (!unique.has(feed.id)) unique.set(feed.id, feed);
    }
    const added = await this.feeds.addNew([...unique.values()]);
    const addedIds = new Set(added.map((feed) => feed.id));
    for (const feed of unique.values()) {
      if (addedIds.has(feed.id)) continue;
      const existing = await this.feeds.get(feed.id);
      if (existing?.status === 'gone') {
        const { lastError: _cleared, ...rest } = existing;
        const revived: Feed = { ...rest, status: 'active', errorCount: 0, nextFetchAt: now.toISOString() };
        // Conditional on the version read: a feed removed or changed meanwhile is left as it is.
        if ((await this.feeds.commit(existing.id, existing.version, revived)) !== 'conflict') {
          added.push({ ...revived, version: existing.version + 1 });
        }
      }
    }
    return { added, existing: unique.size - added.length };
  }
}
