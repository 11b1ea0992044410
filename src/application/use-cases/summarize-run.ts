import { inject, injectable } from 'inversify';
import { summarize, type CrawlRunSummary, type FetchTally } from '../../domain/crawl-run.js';
import { talliesOf } from '../delivery-tallies.js';
import { fanOutProgressOf, RunRecordsReader, scanProgressOf, type RunRecords } from '../run-records.js';

/**
 * The counters and the progress of one run, summed from the records of its completed steps (scan pages, fetch
 * messages, fan-out pages, deliver attempts), so redelivered work cannot inflate them. A run is complete only
 * when everything it started is done: work that was lost keeps it incomplete until a resume sends it again.
 */
@injectable()
export class SummarizeRun {
  constructor(@inject(RunRecordsReader) private readonly records: RunRecordsReader) {}

  async execute(runId: string): Promise<CrawlRunSummary> {
    return summaryOf(await this.records.read(runId));
  }

  /** Whether the run's scan is complete and every feed it dispatched has been fetched (no delivery is read). */
  async fetchesComplete(runId: string): Promise<boolean> {
    return summaryOf(await this.records.read(runId, { fanOut: false })).fetchesComplete;
  }
}

export function summaryOf(records: RunRecords): CrawlRunSummary {
  return summarize(
    records.run.id,
    scanProgressOf(records),
    records.fetches.flat() as unknown as FetchTally[],
    talliesOf(records.deliveries),
    fanOutProgressOf(records),
  );
}
