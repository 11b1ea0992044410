import { inject, injectable } from 'inversify';
import { newCrawlRun, type CrawlRun } from '../../domain/crawl-run.js';
import type { Clock, IdGenerator } from '../ports/clock.port.js';
import type { FeedPageReader } from '../ports/feed-store.port.js';
import type { RunStore } from '../ports/run-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import { segmentsFor, type RelaySettings } from '../settings.js';
import { TOKENS } from '../tokens.js';
import type { ScanFeedsPageMessage } from '../work-messages.js';
import { ResumeRun } from './resume-run.js';
import { SummarizeRun } from './summarize-run.js';

/** A start looks after this many of the latest runs. */
const RUNS_LOOKED_AFTER = 20;

export interface StartedRun {
  readonly run: CrawlRun;
  /** False when another run was still going: that run is answered instead, and nothing new starts. */
  readonly started: boolean;
  /** The earlier runs this start found complete and marked finished (absent: none). */
  readonly finishedRuns?: readonly string[];
}

/**
 * Starts a crawl run: makes it the active run, records it and sends the first step of each segment of the
 * feed scan at once. At most one run fetches at a time: while the last one has feeds left to fetch (and is
 * within its lease), a start answers that run instead of starting a second that would fetch them again.
 */
@injectable()
export class StartCrawlRun {
  constructor(
    @inject(TOKENS.RunStore) private readonly runs: RunStore,
    @inject(TOKENS.FeedPageReader) private readonly feeds: FeedPageReader,
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(SummarizeRun) private readonly summaries: SummarizeRun,
    @inject(ResumeRun) private readonly resume: ResumeRun,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.IdGenerator) private readonly ids: IdGenerator,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
  ) {}

  async execute(input: { force: boolean }): Promise<StartedRun> {
    const now = this.clock.now();
    const finishedRuns = await this.lookAfterEarlierRuns(now);
    const finished = finishedRuns.length > 0 ? { finishedRuns } : {};
    const activeId = await this.runs.active();
    if (activeId !== undefined) {
      const active = await this.runs.get(activeId);
      if (active && (await this.stillGoing(active, now))) return { run: active, started: false, ...finished };
    }
    const segments = segmentsFor(this.settings, await this.feeds.approximateCount());
    const run = newCrawlRun(now, input.force, this.ids.next(), segments);
    if (!(await this.runs.begin(run, activeId))) {
      // Another start won the race: answer its run.
      const winner = await this.runs.active();
      const other = winner === undefined ? undefined : await this.runs.get(winner);
      if (other) return { run: other, started: false, ...finished };
      throw new Error('the active run changed while this one started, and cannot be read');
    }
    const first: ScanFeedsPageMessage[] = Array.from({ length: segments }, (_, segment) => ({
      v: 2,
      type: 'scan-feeds',
      runId: run.id,
      force: run.force,
      segment,
      segments,
      page: 0,
    }));
    await this.work.dispatch(first);
    return { run, started: true, ...finished };
  }

  /**
   * The latest runs not yet seen finished: each found complete is marked finished, each unfinished past
   * `resumeAfterSeconds` is resumed, so that nothing an earlier run stored goes unannounced for long. Answers
   * the ids of the runs found complete.
   */
  private async lookAfterEarlierRuns(now: Date): Promise<string[]> {
    const startedBefore = new Date(now.getTime() - this.settings.resumeAfterSeconds * 1000);
    const oldest = now.getTime() - this.settings.runLeaseSeconds * 1000;
    const unfinished = (await this.runs.list(RUNS_LOOKED_AFTER)).filter(
      (run) => !run.finished && Date.parse(run.startedAt) >= oldest,
    );
    const finished: string[] = [];
    for (const run of unfinished) {
      if ((await this.resume.execute(run.id, { startedBefore })).complete) finished.push(run.id);
    }
    return finished;
  }

  private async stillGoing(run: CrawlRun, now: Date): Promise<boolean> {
    if (now.getTime() - Date.parse(run.startedAt) >= this.settings.runLeaseSeconds * 1000) return false;
    // A run's fetches are what another run must not repeat; its deliveries may go on beside the next run.
    return !(await this.summaries.fetchesComplete(run.id));
  }
}
