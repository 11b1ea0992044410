import { inject, injectable } from 'inversify';
import { fetchableOf, isDue, type Feed } from '../../domain/feed.js';
import { PageRelay, type RelayStepResult } from '../page-relay.js';
import { feedScanChain } from '../step-ids.js';
import type { Clock } from '../ports/clock.port.js';
import type { FeedPageReader } from '../ports/feed-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import type { RelaySettings } from '../settings.js';
import { TOKENS } from '../tokens.js';
import type { FetchFeedMessage, ScanFeedsPageMessage } from '../work-messages.js';

/** The scan's cursor scope: a cursor of one segment is refused by another. */
export const feedsScope = (segment: number, segments: number): string => `feeds:${segment}/${segments}`;

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
    const chainId = feedScanChain(runId, segment);
    return this.relay.step<Feed>(
      { chainId, scope: feedsScope(segment, segments), page, cursor: message.cursor },
      {
        pageSize: this.settings.feedPageSize,
        read: (after, limit) => this.feeds.readPage(after, limit, { segment, segments }),
        dispatchPage: async (feeds) => {
          const now = this.clock.now();
          const due = feeds.filter((feed) => feed.status === 'active' && (force || isDue(feed, now)));
          const per = this.settings.feedsPerMessage;
          const messages: FetchFeedMessage[] = [];
          for (let start = 0; start < due.length; start += per) {
            messages.push({
              v: 2,
              type: 'fetch-feed',
              runId,
              force,
              batch: `${segment}.${page}.${start / per}`,
              feeds: due.slice(start, start + per).map(fetchableOf),
            });
          }
          await this.work.dispatch(messages);
          return due.length;
        },
        relay: (next) => this.work.dispatch([{ v: 2, type: 'scan-feeds', runId, force, segment, segments, ...next }]),
      },
    );
  }
}
