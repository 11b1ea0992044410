import type { CrawlRun, FeedRunOutcome } from '../../domain/crawl-run.js';

/** Crawl runs and the feed outcome records their summaries are computed from (deliveries: `DeliveryTallies`). */
export interface RunStore {
  create(run: CrawlRun): Promise<void>;
  get(runId: string): Promise<CrawlRun | undefined>;
  /** Idempotent: the same feed recorded twice in one run is one outcome. */
  recordFeedOutcome(runId: string, feedId: string, outcome: FeedRunOutcome, newArticles: number): Promise<void>;
  feedOutcomes(runId: string): Promise<{ outcome: FeedRunOutcome; newArticles: number }[]>;
}
