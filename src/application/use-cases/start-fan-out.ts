import { inject, injectable } from 'inversify';
import type { ArticlesDiscovered } from '../../domain/crawl-run.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import { TOKENS } from '../tokens.js';

/**
 * Starts the update fan-out for one discovery: the first step of the relay over the feed's subscribers.
 * A duplicated event sends a duplicated first step, which the relay's ledger turns into nothing.
 */
@injectable()
export class StartFanOut {
  constructor(@inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher) {}

  async execute(event: ArticlesDiscovered): Promise<void> {
    await this.work.dispatch([
      {
        v: 1,
        type: 'scan-subscribers',
        runId: event.runId,
        eventId: event.eventId,
        feedId: event.feedId,
        articleIds: event.articleIds,
        discoveredAt: event.discoveredAt,
        page: 0,
      },
    ]);
  }
}
