import { inject, injectable } from 'inversify';
import type { Subscription } from '../../domain/subscription.js';
import { DeliveryAttempts, type DeliveryTally } from '../delivery-attempts.js';
import { PageRelay, type PageWork, type RelayStepResult } from '../page-relay.js';
import type { SubscriberPageReader } from '../ports/subscription-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import type { RelaySettings } from '../settings.js';
import { fanOutSteps } from '../step-ids.js';
import { TOKENS } from '../tokens.js';
import { deliverMessagesOf, deliveryParts, subscribersScope } from '../work-plans.js';
import type { ScanSubscribersPageMessage } from '../work-messages.js';

/** A page step's result, and the tally of the lone part it delivered itself, if it did. */
export type ScanSubscribersResult = RelayStepResult & { readonly delivered?: DeliveryTally };

/**
 * One step of the update fan-out over one subscriber shard: the page's subscribers that want this discovery
 * become deliver messages of `recipientsPerDelivery` each (a page of that size: one message; fewer if their
 * sinks are too long), sent in one batch, and the cursor is relayed, page after page. A large page keeps the
 * sequential relay short (1000 subscribers a hop) while each delivery stays small enough to finish well within
 * its lease. The recipients are read here, at scan time: one that ends before its delivery still gets it,
 * unless its sink answers 410.
 *
 * The last page of a shard whose recipients make a single part delivers that part itself, within its own
 * step (the attempt's tally joins the page's record): a feed of a few subscribers reaches them all in one
 * invocation, with no deliver message, no second invocation and no second ledger step. The page's claim keeps
 * a duplicated message from delivering twice, as a deliver step's does.
 */
@injectable()
export class ScanSubscribersPage {
  constructor(
    @inject(PageRelay) private readonly relay: PageRelay,
    @inject(TOKENS.SubscriberPageReader) private readonly subscribers: SubscriberPageReader,
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(DeliveryAttempts) private readonly attempts: DeliveryAttempts,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
  ) {}

  async execute(message: ScanSubscribersPageMessage): Promise<ScanSubscribersResult> {
    const { runId, eventId, feed, discoveredAt, shard, page } = message;
    let delivered: DeliveryTally | undefined;
    const result = await this.relay.step<Subscription>(
      {
        steps: fanOutSteps(runId, eventId, shard),
        scope: subscribersScope(feed.id, shard),
        page,
        cursor: message.cursor,
      },
      {
        pageSize: this.settings.subscriberPageSize,
        read: (after, limit) => this.subscribers.readPage(feed.id, shard, after, limit),
        dispatchPage: async (subscriptions, last): Promise<PageWork> => {
          const parts = deliveryParts(subscriptions, discoveredAt, this.settings.recipientsPerDelivery);
          const messages = deliverMessagesOf(message, parts);
          const inline = last && messages.length === 1 ? messages[0]! : undefined;
          if (messages.length > 0 && !inline) await this.work.dispatch(messages);
          // The record names where each part begins: a resume rebuilds exactly the parts that were lost.
          return {
            dispatched: parts.reduce((sum, part) => sum + part.length, 0),
            record: {
              eventId,
              shard,
              parts: parts.length,
              ...(parts.length > 0 ? { firsts: parts.map((part) => part[0]!.subscriptionId).join(' ') } : {}),
            },
            ...(inline
              ? {
                  finish: async () => {
                    const outcome = await this.attempts.attempt(inline);
                    delivered = outcome.tally;
                    return this.attempts.recordOf(inline, outcome);
                  },
                }
              : {}),
          };
        },
        relay: (next) => this.work.dispatch([{ ...message, ...next }]),
      },
    );
    return result.kind === 'scanned' && delivered ? { ...result, delivered } : result;
  }
}
