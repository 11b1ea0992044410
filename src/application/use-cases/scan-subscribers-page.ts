import { inject, injectable } from 'inversify';
import { wantsArticlesStoredAt, type Subscription } from '../../domain/subscription.js';
import { PageRelay, type RelayStepResult } from '../page-relay.js';
import type { SubscriberPageReader } from '../ports/subscription-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import type { RelaySettings } from '../settings.js';
import { fanOutSteps } from '../step-ids.js';
import { TOKENS } from '../tokens.js';
import type { DeliverMessage, Recipient, ScanSubscribersPageMessage } from '../work-messages.js';

/** What a subscriber cursor belongs to: one shard of one feed. */
export const subscribersScope = (feedId: string, shard: number): string => `subscribers:${feedId}#${shard}`;

/** A deliver message stays well below SQS's 256 KiB: recipients beyond this many bytes go to another part. */
const MAX_RECIPIENT_BYTES = 200 * 1024;

/**
 * One step of the update fan-out over one subscriber shard: the page's subscribers that want this discovery
 * become deliver messages of `recipientsPerDelivery` each (a page of that size: one message; fewer if their
 * sinks are too long), sent in one batch, and the cursor is relayed, page after page. A large page keeps the
 * sequential relay short (1000 subscribers a hop) while each delivery stays small enough to finish well within
 * its lease. The recipients are read here, at scan time: one that ends before its delivery still gets it,
 * unless its sink answers 410.
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
    const { runId, eventId, feed, discoveredAt, shard, page } = message;
    return this.relay.step<Subscription>(
      {
        steps: fanOutSteps(runId, eventId, shard),
        scope: subscribersScope(feed.id, shard),
        page,
        cursor: message.cursor,
      },
      {
        pageSize: this.settings.subscriberPageSize,
        read: (after, limit) => this.subscribers.readPage(feed.id, shard, after, limit),
        dispatchPage: async (subscriptions) => {
          const parts = deliveryParts(subscriptions, discoveredAt, this.settings.recipientsPerDelivery);
          const messages = deliverMessagesOf(message, parts);
          if (messages.length > 0) await this.work.dispatch(messages);
          // The record names where each part begins: a resume rebuilds exactly the parts that were lost.
          return {
            dispatched: parts.reduce((sum, part) => sum + part.length, 0),
            record: {
              eventId,
              shard,
              parts: parts.length,
              ...(parts.length > 0 ? { firsts: parts.map((part) => part[0]!.subscriptionId).join(' ') } : {}),
            },
          };
        },
        relay: (next) => this.work.dispatch([{ ...message, ...next }]),
      },
    );
  }
}

/** The page's subscribers that want this discovery, cut into the parts that become deliver messages. */
export function deliveryParts(
  subscriptions: readonly Subscription[],
  discoveredAt: string,
  perMessage: number,
): Recipient[][] {
  return split(subscriptions.filter((s) => wantsArticlesStoredAt(s, discoveredAt)).map(recipientOf), perMessage);
}

/**
 * The deliver messages of one fan-out page: one per part, named `<shard>.<page>` (`.<part>` appended when the
 * page needed more than one). `only` keeps the parts of those numbers.
 */
export function deliverMessagesOf(
  step: ScanSubscribersPageMessage,
  parts: readonly (readonly Recipient[])[],
  only?: ReadonlySet<number>,
): DeliverMessage[] {
  const { runId, eventId, feed, articleIds, shard, page } = step;
  return parts.flatMap((part, index): DeliverMessage[] =>
    only && !only.has(index)
      ? []
      : [
          {
            v: 2,
            type: 'deliver',
            runId,
            eventId,
            feed,
            articleIds,
            batch: deliveryBatchKey(shard, page, index, parts.length),
            attempt: 1,
            recipients: part,
          },
        ],
  );
}

export const deliveryBatchKey = (shard: number, page: number, part: number, parts: number): string =>
  parts === 1 ? `${shard}.${page}` : `${shard}.${page}.${part}`;

export function recipientOf(subscription: Subscription): Recipient {
  return {
    subscriptionId: subscription.id,
    sink: subscription.sink,
    secret: subscription.secret,
    createdAt: subscription.createdAt,
  };
}

/** Consecutive parts of at most `count` recipients and `MAX_RECIPIENT_BYTES` of them. */
function split(recipients: readonly Recipient[], count: number): Recipient[][] {
  const parts: Recipient[][] = [];
  let current: Recipient[] = [];
  let bytes = 0;
  for (const recipient of recipients) {
    const size = JSON.stringify(recipient).length + 1;
    if (current.length > 0 && (current.length === count || bytes + size > MAX_RECIPIENT_BYTES)) {
      parts.push(current);
      current = [];
      bytes = 0;
    }
    current.push(recipient);
    bytes += size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}
