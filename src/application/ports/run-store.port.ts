import type { CrawlRun, DeliveryState } from '../../domain/crawl-run.js';

/** Crawl runs, the one that is active, and the delivery records their summaries are computed from. */
export interface RunStore {
  /**
   * Makes `run` the active run, if the active one is still `replacing` (undefined: none), and records it.
   * Returns false when another start got there first: at most one run is active, so two runs never fetch
   * the same feed twice.
   */
  begin(run: CrawlRun, replacing: string | undefined): Promise<boolean>;
  /** The id of the active run (it may have finished since: the next start finds out). */
  active(): Promise<string | undefined>;
  /** Forgets the active run without starting another (its work is known to be gone). */
  abandonActive(): Promise<void>;
  get(runId: string): Promise<CrawlRun | undefined>;
  /** Idempotent; a final state (delivered, failed) is never turned back into pending. */
  recordDelivery(runId: string, notificationId: string, state: DeliveryState): Promise<void>;
  deliveries(runId: string): Promise<DeliveryState[]>;
}
