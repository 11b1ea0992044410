import type { CrawlRun } from '../../domain/crawl-run.js';

/**
 * Crawl runs and the one that is active. Their counters are not here: they are the tallies of the steps of
 * the ledger (fetch messages, deliveries), each recorded once.
 */
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
  /** The latest runs, newest first, each with whether it was seen finished. */
  list(limit: number): Promise<ListedRun[]>;
  /** Remembers that everything the run started is done, so that starts no longer look at it. */
  markFinished(runId: string): Promise<void>;
}

export interface ListedRun extends CrawlRun {
  readonly finished: boolean;
}
