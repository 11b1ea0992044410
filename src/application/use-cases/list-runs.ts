import { inject, injectable } from 'inversify';
import type { CrawlRunSummary } from '../../domain/crawl-run.js';
import type { RunStore } from '../ports/run-store.port.js';
import { RunRecordsReader } from '../run-records.js';
import { TOKENS } from '../tokens.js';
import { summaryOf } from './summarize-run.js';

/** One run as `runs list` shows it: when it started, and where it stands. */
export interface ListedRunSummary extends CrawlRunSummary {
  readonly startedAt: string;
  readonly force: boolean;
}

/** The latest runs, newest first, each with its summary (read from its ledger records, as `GET /runs/{id}`). */
@injectable()
export class ListRuns {
  constructor(
    @inject(TOKENS.RunStore) private readonly runs: RunStore,
    @inject(RunRecordsReader) private readonly records: RunRecordsReader,
  ) {}

  async execute(limit: number): Promise<ListedRunSummary[]> {
    const runs = await this.runs.list(limit);
    return Promise.all(
      runs.map(async (run) => ({
        ...summaryOf(await this.records.read(run.id)),
        startedAt: run.startedAt,
        force: run.force,
      })),
    );
  }
}
