import type { FetchableFeed } from '../domain/feed.js';
import { wantsArticlesStoredAt, type Subscription } from '../domain/subscription.js';
import type {
  DeliverMessage,
  FetchFeedMessage,
  Recipient,
  ScanFeedsPageMessage,
  ScanSubscribersPageMessage,
} from './work-messages.js';

/*
 * How a scan page's work is cut into messages, and the cursor scopes of the scans: the same cut whether the
 * work is sent by its page step or sent again by a resume (`ResumeRun`), so that both name it alike.
 */

/** The scan's cursor scope: a cursor of one segment is refused by another. */
export const feedsScope = (segment: number, segments: number): string => `feeds:${segment}/${segments}`;

/** What a subscriber cursor belongs to: one shard of one feed. */
export const subscribersScope = (feedId: string, shard: number): string => `subscribers:${feedId}#${shard}`;

/** A deliver message stays well below SQS's 256 KiB: recipients beyond this many bytes go to another part. */
const MAX_RECIPIENT_BYTES = 200 * 1024;

/** The name of the `n`th fetch message of a scan page, unique within its run. */
export const fetchBatchName = (segment: number, page: number, n: number): string => `${segment}.${page}.${n}`;

/**
 * The fetch messages of one scan page: its due feeds in order, `per` to a message, named
 * `<segment>.<page>.<n>`. `only` keeps the batches of those numbers (a resume sends again the lost ones).
 */
export function fetchMessagesOf(
  step: Pick<ScanFeedsPageMessage, 'runId' | 'force' | 'segment' | 'page'>,
  due: readonly FetchableFeed[],
  per: number,
  only?: ReadonlySet<number>,
): FetchFeedMessage[] {
  const messages: FetchFeedMessage[] = [];
  for (let start = 0, n = 0; start < due.length; start += per, n++) {
    if (only && !only.has(n)) continue;
    messages.push({
      v: 2,
      type: 'fetch-feed',
      runId: step.runId,
      force: step.force,
      batch: fetchBatchName(step.segment, step.page, n),
      feeds: due.slice(start, start + per),
    });
  }
  return messages;
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
  const { secret, previousSecret, previousSecretUntil } = subscription;
  return {
    subscriptionId: subscription.id,
    sink: subscription.sink,
    ...(secret !== undefined ? { secret } : {}),
    ...(previousSecret !== undefined && previousSecretUntil !== undefined
      ? { previousSecret, previousSecretUntil }
      : {}),
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
