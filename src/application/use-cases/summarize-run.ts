import { inject, injectable } from 'inversify';
import { summarize, type CrawlRunSummary } from '../../domain/crawl-run.js';
import { DeliveryTallies } from '../delivery-tallies.js';
import { NotFoundError } from '../errors.js';
import { PageRelay } from '../page-relay.js';
import type { RunStore } from '../ports/run-store.port.js';
import { TOKENS } from '../tokens.js';

/** The counters of one run, computed from its outcome records, so redelivered work cannot inflate them. */
@injectable()
export class SummarizeRun {
  constructor(
    @inject(TOKENS.RunStore) private readonly runs: RunStore,
    @inject(PageRelay) private readonly relay: PageRelay,
    @inject(DeliveryTallies) private readonly deliveries: DeliveryTallies,
  ) {}

  async execute(runId: string): Promise<CrawlRunSummary> {
    if (!(await this.runs.get(runId))) throw new NotFoundError(`no crawl run ${runId}`);
    const [scan, outcomes, notifications] = await Promise.all([
      this.relay.progress(runId),
      this.runs.feedOutcomes(runId),
      this.deliveries.of(runId),
    ]);
    return summarize(runId, { complete: scan.complete, feedsDispatched: scan.dispatched }, outcomes, notifications);
  }
}
