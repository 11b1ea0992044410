import type { CrawlRun, DeliveryState, FeedRunOutcome } from '../../domain/crawl-run.js';

/** Crawl runs and the outcome records their summaries are computed from. */
export interface RunStore {
  create(run: CrawlRun): Promise<void>;
  get(runId: string): Promise<CrawlRun | undefined>;
  /** Idempotent: the same feed recorded twice in one run is one outcome. */
  recordFeedOutcome(runId: string, feedId: string, outcome: FeedRunOutcome, newArticles: number): Promise<void>;
  /** Idempotent; a final state (delivered, failed) is never turned back into pending. */
  recordDelivery(runId: string, notificationId: string, state: DeliveryState): Promise<void>;
  feedOutcomes(runId: string): Promise<{ outcome: FeedRunOutcome; newArticles: number }[]>;
  deliveries(runId: string): Promise<DeliveryState[]>;
}
