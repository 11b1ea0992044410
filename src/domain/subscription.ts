import { digest } from './hash.js';
import { excerpt, InvalidSubscriptionError } from './errors.js';
import { feedIdFor, MAX_URL_LENGTH } from './feed.js';

/** Where and how a subscriber is told: a sink kind plus what that sink needs. New sinks add a kind. */
export type SinkDescriptor = { readonly kind: 'webhook'; readonly url: string };

/** A subscriber of one feed. It receives articles first stored at or after `createdAt`. */
export interface Subscription {
  readonly id: string;
  readonly feedId: string;
  readonly feedUrl: string;
  readonly sink: SinkDescriptor;
  /** The Standard Webhooks signing secret, `whsec_` + base64. */
  readonly secret: string;
  readonly createdAt: string;
  readonly status: 'active' | 'ended';
}

const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;
/** The longest signing secret accepted: `whsec_` and the base64 of a 256-byte key (Standard Webhooks: 24–64). */
export const MAX_SECRET_LENGTH = 6 + 344;

export function subscriptionIdFor(feedId: string, sink: SinkDescriptor): string {
  return digest(['subscription', feedId, sink.kind, sink.url], 24);
}

export interface SubscriptionInput {
  readonly feedUrl: string;
  readonly sink: SinkDescriptor;
  readonly secret: string;
}

/** Checks what a subscription is made of (secret, sink URL) and returns the sink as it will be stored. */
export function checkSubscriptionInput(input: SubscriptionInput): SinkDescriptor {
  if (input.secret.length > MAX_SECRET_LENGTH) {
    throw new InvalidSubscriptionError(
      `the secret is ${input.secret.length} characters long, at most ${MAX_SECRET_LENGTH} are accepted`,
    );
  }
  if (!SECRET.test(input.secret)) {
    throw new InvalidSubscriptionError('the secret must be "whsec_" followed by base64');
  }
  const tooLong = (length: number) =>
    new InvalidSubscriptionError(
      `the webhook URL is ${length} characters long, at most ${MAX_URL_LENGTH} are accepted (${excerpt(input.sink.url, 40)})`,
    );
  if (input.sink.url.length > MAX_URL_LENGTH * 4) throw tooLong(input.sink.url.length);
  let sinkUrl: URL;
  try {
    sinkUrl = new URL(input.sink.url);
  } catch (cause) {
    throw new InvalidSubscriptionError(`the webhook is not an absolute URL: ${excerpt(input.sink.url)}`, {
      cause,
    });
  }
  if (sinkUrl.protocol !== 'http:' && sinkUrl.protocol !== 'https:') {
    throw new InvalidSubscriptionError(`the webhook must be http or https, not ${sinkUrl.protocol}`);
  }
  const url = sinkUrl.toString();
  if (url.length > MAX_URL_LENGTH) throw tooLong(url.length);
  return { ...input.sink, url };
}

export function newSubscription(input: SubscriptionInput & { now: Date }): Subscription {
  const sink = checkSubscriptionInput(input);
  const feedId = feedIdFor(input.feedUrl);
  return {
    id: subscriptionIdFor(feedId, sink),
    feedId,
    feedUrl: input.feedUrl,
    sink,
    secret: input.secret,
    createdAt: input.now.toISOString(),
    status: 'active',
  };
}

/** A subscription hears of articles stored from its creation on, and nothing stored before it. */
export function wantsArticlesStoredAt(subscription: Subscription, storedAt: string): boolean {
  return subscription.status === 'active' && Date.parse(subscription.createdAt) <= Date.parse(storedAt);
}

/** The most shards a feed's subscriptions are spread over: 1024 × 100,000 subscribers is far beyond need. */
export const MAX_SUBSCRIBER_SHARDS = 1024;

/** K as stored on a feed (absent: 1), checked to be a power of two within the bound. */
export function subscriberShardCount(shards: number | undefined): number {
  const k = shards ?? 1;
  if (!Number.isSafeInteger(k) || k < 1 || k > MAX_SUBSCRIBER_SHARDS || (k & (k - 1)) !== 0) {
    throw new RangeError(
      `a feed's subscriber shard count must be a power of two up to ${MAX_SUBSCRIBER_SHARDS}, not ${k}`,
    );
  }
  return k;
}

/** A stable 31-bit hash of a subscription id (FNV-1a): cheap, as it runs for every id of a bulk import. */
function shardHash(subscriptionId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < subscriptionId.length; i++) {
    hash ^= subscriptionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & 0x7fffffff;
}

/** The shard a new subscription is written to when its feed has `shards` shards: hash(id) mod K. */
export function shardOf(subscriptionId: string, shards: number): number {
  return shardHash(subscriptionId) % subscriberShardCount(shards);
}

/**
 * Every shard a subscription may have been written to while its feed had at most `shards` shards: since K
 * starts at 1 and only doubles, that is hash(id) mod 2^i for each 2^i ≤ K — log2(K) + 1 places at most.
 */
export function candidateShards(subscriptionId: string, shards: number = MAX_SUBSCRIBER_SHARDS): number[] {
  const k = subscriberShardCount(shards);
  const hash = shardHash(subscriptionId);
  const found = new Set<number>();
  for (let size = 1; size <= k; size *= 2) found.add(hash % size);
  return [...found];
}

/**
 * K after a feed's subscriber count reached `subscribers`: doubled (as often as needed) while the count exceeds
 * K × `perShard`, never shrunk, at most `MAX_SUBSCRIBER_SHARDS`.
 */
export function grownShardCount(shards: number, subscribers: number, perShard: number): number {
  let k = subscriberShardCount(shards);
  while (subscribers > k * perShard && k < MAX_SUBSCRIBER_SHARDS) k *= 2;
  return k;
}
