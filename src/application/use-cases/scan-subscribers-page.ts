import { inject, injectable } from 'inversify';
import { notificationIdFor } from '../../domain/crawl-run.js';
import { wantsArticlesStoredAt, type Subscription } from '../../domain/subscription.js';
import { PageRelay, type RelayStepResult } from '../page-relay.js';
import type { SubscriberPageReader } from '../ports/subscription-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import type { RelaySettings } from '../settings.js';
import { TOKENS } from '../tokens.js';
import type { ScanSubscribersPageMessage } from '../work-messages.js';

export const subscribersScope = (feedId: string): string => `subscribers:${feedId}`;

/**
 * One step of the update fan-out: each subscriber on the page that wants this discovery gets a delivery,
 * and the cursor is relayed, page after page, however many subscribers the feed has.
 */
@injectable()
export class ScanSubscribersPage {
  constructor(
    @inject(PageRelay) private readonly relay: PageRelay,
    @inject(TOKENS.SubscriberPageReader) private readonly subscribers: SubscriberPageReader,
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
  ) {}

  execute(message: ScanSubscribersPageMessage): Promise<RelayStepResult> {
    const { runId, eventId, feedId, articleIds, discoveredAt } = message;
    return this.relay.step<Subscription>(
      { chainId: eventId, scope: subscribersScope(feedId), page: message.page, cursor: message.cursor },
      {
        pageSize: this.settings.subscriberPageSize,
        // Most discoveries of a feed nobody follows end on one empty page: no step to record for them.
        tracksProgress: false,
        read: (after, limit) => this.subscribers.readPage(feedId, after, limit),
        dispatchPage: async (subscriptions) => {
          const wanting = subscriptions.filter((s) => wantsArticlesStoredAt(s, discoveredAt));
          await this.work.dispatch(
            wanting.map((s) => ({
              v: 1,
              type: 'deliver',
              runId,
              notificationId: notificationIdFor(s.id, eventId),
              feedId,
              subscriptionId: s.id,
              articleIds,
              attempt: 1,
            })),
          );
          return wanting.length;
        },
        relay: (next) =>
          this.work.dispatch([
            { v: 1, type: 'scan-subscribers', runId, eventId, feedId, articleIds, discoveredAt, ...next },
          ]),
      },
    );
  }
}
