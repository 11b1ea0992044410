import { inject, injectable } from 'inversify';
import { fetchableIn, isDueIn, type Feed } from '../../domain/feed.js';
import { PageRelay, type RelayStepResult } from '../page-relay.js';
import { feedScanSteps } from '../step-ids.js';
import type { Clock } from '../ports/clock.port.js';
import type { FeedPageReader } from '../ports/feed-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import type { RelaySettings } from '../settings.js';
import { TOKENS } from '../tokens.js';
import { feedsScope, fetchMessagesOf } from '../work-plans.js';
import type { ScanFeedsPageMessage } from '../work-messages.js';

/**
 * One step of one segment of the feed scan: the page's due feeds become fetch work, `feedsPerMessage` to a
 * message, each carrying what its fetch needs, and the cursor is relayed to the segment's next step.
 */
@injectable()
export class ScanFeedsPage {
  constructor(
    @inject(PageRelay) private readonly relay: PageRelay,
    @inject(TOKENS.FeedPageReader) private readonly feeds: FeedPageReader,
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
  ) {}

  execute(message: ScanFeedsPageMessage): Promise<RelayStepResult> {
    const { runId, force, segment, segments, page } = message;
    return this.relay.step<Feed>(
      { steps: feedScanSteps(runId, segment), scope: feedsScope(segment, segments), page, cursor: message.cursor },
      {
        pageSize: this.settings.feedPageSize,
        read: (after, limit) => this.feeds.readPage(after, limit, { segment, segments }),
        dispatchPage: async (feeds) => {
          const now = this.clock.now();
          const due = feeds.filter((feed) => isDueIn(runId, feed, now, force));
          if (due.length > 0) {
            await this.work.dispatch(
              fetchMessagesOf(
                message,
                due.map((feed) => fetchableIn(runId, feed)),
                this.settings.feedsPerMessage,
              ),
            );
          }
          // The page's record names its due feeds in order: a resume rebuilds exactly the batches that were lost.
          return {
            dispatched: due.length,
            record: { per: this.settings.feedsPerMessage, due: due.map((f) => f.id).join(' ') },
          };
        },
        relay: (next) => this.work.dispatch([{ v: 2, type: 'scan-feeds', runId, force, segment, segments, ...next }]),
      },
    );
  }
}
