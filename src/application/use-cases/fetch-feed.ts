import { inject, injectable } from 'inversify';
import { identifyArticles } from '../../domain/article.js';
import { discoveriesOf, type FeedRunOutcome } from '../../domain/crawl-run.js';
import { afterFetch, isDue, type FetchOutcome } from '../../domain/feed.js';
import type { ArticleStore } from '../ports/article-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { EventPublisher } from '../ports/event-publisher.port.js';
import type { FeedFetcher, FetchResult } from '../ports/feed-fetcher.port.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { RunStore } from '../ports/run-store.port.js';
import { StepRunner } from '../step-runner.js';
import { TOKENS } from '../tokens.js';
import type { FetchFeedMessage } from '../work-messages.js';

export type FetchFeedResult =
  | { readonly kind: 'skipped'; readonly reason: 'done' | 'busy' | 'unknown-feed' | 'not-due' }
  | { readonly kind: FeedRunOutcome; readonly newArticles: number };

/**
 * Fetches one feed for one run, stores the articles it has not seen before and announces them. The fetch is
 * a step of the ledger, so a replayed message fetches nothing twice; a retry after a crash finds the
 * articles the first attempt stored under the same run and announces them under the same event id.
 */
@injectable()
export class FetchFeed {
  constructor(
    @inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository,
    @inject(TOKENS.FeedFetcher) private readonly fetcher: FeedFetcher,
    @inject(TOKENS.ArticleStore) private readonly articles: ArticleStore,
    @inject(TOKENS.EventPublisher) private readonly events: EventPublisher,
    @inject(TOKENS.RunStore) private readonly runs: RunStore,
    @inject(StepRunner) private readonly steps: StepRunner,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async execute(message: FetchFeedMessage): Promise<FetchFeedResult> {
    const result = await this.steps.once(`fetch#${message.runId}#${message.feedId}`, async () => ({
      value: await this.fetchOnce(message),
    }));
    return result.ran ? result.value : { kind: 'skipped', reason: result.reason };
  }

  private async fetchOnce({ runId, feedId, force }: FetchFeedMessage): Promise<FetchFeedResult> {
    const feed = await this.feeds.get(feedId);
    if (!feed || feed.status !== 'active' || (!force && !isDue(feed, this.clock.now()))) {
      await this.runs.recordFeedOutcome(runId, feedId, 'skipped', 0);
      return { kind: 'skipped', reason: feed ? 'not-due' : 'unknown-feed' };
    }

    const result = await this.fetcher.fetch({ url: feed.url, etag: feed.etag, lastModified: feed.lastModified });
    const now = this.clock.now();
    const outcome = toOutcome(result);
    let newArticles = 0;
    if (result.kind === 'fetched') {
      const stored = await this.articles.storeFirstSeen(feedId, runId, identifyArticles(result.document.items), now);
      newArticles = stored.length;
      if (stored.length > 0) {
        const discoveredAt = stored.map((a) => a.firstSeenAt).reduce((a, b) => (a < b ? a : b));
        // The discovery carries the feed as it is after this fetch (title, URL) and its subscriber shards.
        await this.events.publish(
          discoveriesOf(
            runId,
            afterFetch(feed, outcome, now),
            stored.map((a) => a.id),
            discoveredAt,
          ),
        );
      }
    }
    // The outcome is recorded before the new validators are saved: a retry after a failure in between still
    // sends the old validators, gets the same answer and records the same outcome.
    await this.runs.recordFeedOutcome(runId, feedId, outcome.kind, newArticles);
    await this.feeds.save(afterFetch(feed, outcome, now));
    return { kind: outcome.kind, newArticles };
  }
}

function toOutcome(result: FetchResult): FetchOutcome {
  switch (result.kind) {
    case 'fetched':
      return {
        kind: 'fetched',
        etag: result.etag,
        lastModified: result.lastModified,
        title: result.document.feed.title,
        movedTo: result.permanentRedirect,
      };
    case 'notModified':
      return {
        kind: 'notModified',
        etag: result.etag,
        lastModified: result.lastModified,
        movedTo: result.permanentRedirect,
      };
    case 'failed':
      if (result.error.code === 'gone') return { kind: 'gone' };
      return {
        kind: 'failed',
        code: result.error.code,
        message: result.error.message,
        retryAfterSeconds: result.error.retryAfterSeconds,
      };
  }
}
