import { inject, injectable } from 'inversify';
import { newCrawlRun, type CrawlRun } from '../../domain/crawl-run.js';
import type { Clock, IdGenerator } from '../ports/clock.port.js';
import type { RunStore } from '../ports/run-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import { TOKENS } from '../tokens.js';

/** Starts a crawl run: records it and sends the first step of the feed scan relay. */
@injectable()
export class StartCrawlRun {
  constructor(
    @inject(TOKENS.RunStore) private readonly runs: RunStore,
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.IdGenerator) private readonly ids: IdGenerator,
  ) {}

  async execute(input: { force: boolean }): Promise<CrawlRun> {
    const run = newCrawlRun(this.clock.now(), input.force, this.ids.next());
    await this.runs.create(run);
    await this.work.dispatch([{ v: 1, type: 'scan-feeds', runId: run.id, force: run.force, page: 0 }]);
    return run;
  }
}
