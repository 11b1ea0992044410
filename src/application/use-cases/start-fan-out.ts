import { inject, injectable } from 'inversify';
import type { ArticlesDiscovered } from '../../domain/crawl-run.js';
import type { DeliveryTally } from '../delivery-attempts.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import { TOKENS } from '../tokens.js';
import type { ScanSubscribersPageMessage } from '../work-messages.js';
import { ScanSubscribersPage } from './scan-subscribers-page.js';

/** Up to this many shards, start-fan-out scans the first pages itself instead of sending them on. */
const SHARDS_SCANNED_INLINE = 4;

/**
 * Starts the update fan-out for one discovery: one relay chain per subscriber shard, all at once. For a feed of
 * a few shards the first page of each is scanned right here (a hop saved); beyond that the first steps are
 * sent as one batch of messages. A duplicated event repeats first steps, which the relay's ledger turns
 * into nothing.
 */
@injectable()
export class StartFanOut {
  constructor(
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(ScanSubscribersPage) private readonly scan: ScanSubscribersPage,
  ) {}

  /**
   * Answers how many first pages it scanned itself (none when it sent them on), and the tallies of the lone
   * parts of recipients those pages delivered themselves.
   */
  async execute(
    event: ArticlesDiscovered,
  ): Promise<{ readonly pagesScanned: number; readonly delivered: readonly DeliveryTally[] }> {
    const shards = event.subscriberShards;
    const firstSteps = Array.from({ length: shards }, (_, shard): ScanSubscribersPageMessage => ({
      v: 2,
      type: 'scan-subscribers',
      runId: event.runId,
      eventId: event.eventId,
      feed: { id: event.feedId, url: event.feedUrl, ...(event.feedTitle ? { title: event.feedTitle } : {}) },
      articleIds: event.articleIds,
      discoveredAt: event.discoveredAt,
      shard,
      shards,
      page: 0,
    }));
    if (shards <= SHARDS_SCANNED_INLINE) {
      const scanned = await Promise.all(firstSteps.map((step) => this.scan.execute(step)));
      return {
        pagesScanned: scanned.filter((result) => result.kind === 'scanned').length,
        delivered: scanned.flatMap((result) =>
          result.kind === 'scanned' && result.delivered ? [result.delivered] : [],
        ),
      };
    }
    await this.work.dispatch(firstSteps);
    return { pagesScanned: 0, delivered: [] };
  }
}
