import { inject, injectable } from 'inversify';
import { isDue, type Feed } from '../../domain/feed.js';
import { PageRelay, type RelayStepResult } from '../page-relay.js';
import type { Clock } from '../ports/clock.port.js';
import type { FeedPageReader } from '../ports/feed-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import type { RelaySettings } from '../settings.js';
import { TOKENS } from '../tokens.js';
import type { ScanFeedsPageMessage } from '../work-messages.js';

export const FEEDS_SCOPE = 'feeds';

/** One step of the feed scan: the page's due feeds become fetch work, and the cursor is relayed. */
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
    const { runId, force } = message;
    return this.relay.step<Feed>(
      { chainId: runId, scope: FEEDS_SCOPE, page: message.page, cursor: message.cursor },
      {
        pageSize: this.settings.feedPageSize,
        read: (after, limit) => this.feeds.readPage(after, limit),
        dispatchPage: async (feeds) => {
          const now = this.clock.now();
          const due = feeds.filter((feed) => feed.status === 'active' && (force || isDue(feed, now)));
          await this.work.dispatch(due.map((feed) => ({ v: 1, type: 'fetch-feed', runId, feedId: feed.id, force })));
          return due.length;
        },
        relay: (next) => this.work.dispatch([{ v: 1, type: 'scan-feeds', runId, force, ...next }]),
      },
    );
  }
}
