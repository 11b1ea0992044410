import { inject, injectable } from 'inversify';
import { summarize, type CrawlRunSummary, type FetchTally } from '../../domain/crawl-run.js';
import { DeliveryTallies } from '../delivery-tallies.js';
import { NotFoundError } from '../errors.js';
import { PageRelay } from '../page-relay.js';
import type { RunStore } from '../ports/run-store.port.js';
import type { StepLedger } from '../ports/step-ledger.port.js';
import { TOKENS } from '../tokens.js';
import { feedScanChain, fetchStepPrefix } from '../step-ids.js';

/**
 * The counters of one run, summed from the records of its completed steps (a scan page, a fetch message),
 * so redelivered work cannot inflate them; each segment's records are read from its own partition.
 */
@injectable()
export class SummarizeRun {
  constructor(
    @inject(TOKENS.RunStore) private readonly runs: RunStore,
    @inject(TOKENS.StepLedger) private readonly ledger: StepLedger,
    @inject(PageRelay) private readonly relay: PageRelay,
    @inject(DeliveryTallies) private readonly deliveries: DeliveryTallies,
  ) {}

  async execute(runId: string): Promise<CrawlRunSummary> {
    const [fetching, notifications] = await Promise.all([this.fetching(runId), this.deliveries.of(runId)]);
    return summarize(runId, fetching.scan, fetching.tallies, notifications);
  }

  /** Whether the run's scan is complete and every feed it dispatched has been fetched (no delivery is read). */
  async fetchesComplete(runId: string): Promise<boolean> {
    const { scan, tallies } = await this.fetching(runId);
    return summarize(runId, scan, tallies, { delivered: 0, failed: 0, pending: 0 }).fetchesComplete;
  }

  /** The scan's progress and the fetch tallies, one Query per scan segment for each. */
  private async fetching(runId: string) {
    const run = await this.runs.get(runId);
    if (!run) throw new NotFoundError(`no crawl run ${runId}`);
    const segments = Array.from({ length: run.segments ?? 1 }, (_, segment) => segment);
    const [scans, fetches] = await Promise.all([
      Promise.all(segments.map((segment) => this.relay.progress(feedScanChain(runId, segment)))),
      Promise.all(segments.map((segment) => this.ledger.completed(fetchStepPrefix(runId, segment)))),
    ]);
    return {
      scan: {
        complete: scans.every((scan) => scan.complete),
        feedsDispatched: scans.reduce((sum, scan) => sum + scan.dispatched, 0),
      },
      tallies: fetches.flat() as unknown as FetchTally[],
    };
  }
}
