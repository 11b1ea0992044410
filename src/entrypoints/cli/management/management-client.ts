import type { SinkDescriptor } from '../../../domain/subscription.js';
import type { ListedRunSummary } from '../../../application/use-cases/list-runs.js';
import type { CrawlRunSummary } from '../../../domain/crawl-run.js';
import type { FeedView, SubscriptionView } from '../../views.js';

/** A feed to add: its URL and, from an OPML import, its title. */
export interface FeedEntry {
  readonly url: string;
  readonly title?: string;
}

/** A subscription to create; without a secret, one is generated (and shown once). */
/** Where a request delivers: a webhook, or an SQS queue. */
export function sinkOf(request: SubscriptionRequest): SinkDescriptor {
  return request.webhook !== undefined ? { kind: 'webhook', url: request.webhook } : { kind: 'sqs', url: request.sqs! };
}

/** A subscription to make: a webhook (with its secret, generated when absent) or an SQS queue. */
export interface SubscriptionRequest {
  readonly feedUrl: string;
  readonly webhook?: string;
  readonly sqs?: string;
  readonly secret?: string;
}

/**
 * An item of a batch that failed where the batch could not be all-or-nothing (one API call per item):
 * `item` is its index in the batch.
 */
export interface ItemFailure {
  readonly item: number;
  readonly code: string;
  readonly message: string;
  readonly status?: number;
}

/**
 * What the management commands (`feeds`, `subscribe`, `subscriptions`, `runs`) need from wherever feedrelay
 * runs: the embedded stack in the data directory, or the management API of `feedrelay serve` or of a
 * deployed stack. Each command is written once against this.
 *
 * Batches are checked whole by the command before they get here. On the embedded stack a batch is one
 * use case call (all or nothing); through the API it is one call per item, and the items that failed are
 * reported in `failed` while the others stand.
 */
export interface ManagementClient {
  addFeeds(entries: readonly FeedEntry[]): Promise<{ added: FeedView[]; existing: number; failed: ItemFailure[] }>;
  listFeeds(): AsyncIterable<FeedView>;
  removeFeeds(urls: readonly string[]): Promise<{ removed: string[]; missing: string[]; failed: ItemFailure[] }>;
  subscribe(requests: readonly SubscriptionRequest[]): Promise<{
    /**
     * One per request, in order; `undefined` where that request failed. `secret` is absent where a remote API
     * found the subscription already there (it shows a secret at creation only).
     */
    subscriptions: ((SubscriptionView & { secret?: string }) | undefined)[];
    created: number;
    failed: ItemFailure[];
  }>;
  /** The subscriptions of one feed (none when the feed is unknown), or of every feed. */
  listSubscriptions(feedUrl?: string): AsyncIterable<SubscriptionView>;
  /** The latest runs, newest first; `limit` undefined: the target's default. */
  listRuns(limit: number | undefined): Promise<ListedRunSummary[]>;
  showRun(runId: string): Promise<CrawlRunSummary>;
  /** Starts a run and returns without waiting for it. */
  startRun(force: boolean): Promise<{ runId: string }>;
  close(): Promise<void>;
}
