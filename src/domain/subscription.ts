import { digest } from './hash.js';
import { excerpt, InvalidSubscriptionError } from './errors.js';
import { feedIdFor, MAX_URL_LENGTH } from './feed.js';

/**
 * Where and how a subscriber is told: a sink kind plus what that sink needs. New sinks add a kind.
 * - `webhook`: a signed Standard Webhooks POST to `url`.
 * - `sqs`: a message on the subscriber's SQS queue, `url` being the queue URL.
 */
export type SinkDescriptor =
  { readonly kind: 'webhook'; readonly url: string } | { readonly kind: 'sqs'; readonly url: string };

export type SinkKind = SinkDescriptor['kind'];
export const SINK_KINDS: readonly SinkKind[] = ['webhook', 'sqs'];

/** A subscriber of one feed. It receives articles first stored at or after `createdAt`. */
export interface Subscription {
  readonly id: string;
  readonly feedId: string;
  readonly feedUrl: string;
  readonly sink: SinkDescriptor;
  /**
   * Webhooks only: the Standard Webhooks signing secret as stored, sealed (`SecretCipher`); only subscriptions
   * written before secrets were sealed hold a plain `whsec_` here. Other sinks sign nothing and have none.
   */
  readonly secret?: string;
  /** After a rotation: the previous secret (sealed as `secret`), still signing until `previousSecretUntil`. */
  readonly previousSecret?: string;
  readonly previousSecretUntil?: string;
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
  /** The plain signing secret: required for a webhook, refused for other sinks. */
  readonly secret?: string;
}

/** Checks a plain Standard Webhooks signing secret: `whsec_` + base64, at most `MAX_SECRET_LENGTH` long. */
export function checkSecret(secret: string): string {
  if (secret.length > MAX_SECRET_LENGTH) {
    throw new InvalidSubscriptionError(
      `the secret is ${secret.length} characters long, at most ${MAX_SECRET_LENGTH} are accepted`,
    );
  }
  if (!SECRET.test(secret)) {
    throw new InvalidSubscriptionError('the secret must be "whsec_" followed by base64');
  }
  return secret;
}

/** Whether a stored secret is plain (`whsec_…`, written before secrets were sealed) rather than sealed. */
export function isPlainSecret(stored: string): boolean {
  return stored.startsWith('whsec_');
}

/** A fresh Standard Webhooks signing secret from 24 random bytes (`random` is the platform's CSPRNG). */
export function newSigningSecret(random: (size: number) => Uint8Array): string {
  return `whsec_${Buffer.from(random(24)).toString('base64')}`;
}

/** An SQS queue URL: `<scheme>://<host>/<account>/<queue name>` (a FIFO queue's name ends in `.fifo`). */
const QUEUE_PATH = /^\/[0-9A-Za-z_-]{1,64}\/[0-9A-Za-z_-]{1,80}(\.fifo)?$/;

/** Checks what a subscription is made of (secret, sink URL) and returns the sink as it will be stored. */
export function checkSubscriptionInput(input: SubscriptionInput): SinkDescriptor {
  if (!SINK_KINDS.includes(input.sink.kind)) {
    throw new InvalidSubscriptionError(`unknown sink kind ${excerpt(String(input.sink.kind), 20)}`);
  }
  if (input.sink.kind === 'webhook') {
    if (input.secret === undefined) throw new InvalidSubscriptionError('a webhook subscription needs a secret');
    checkSecret(input.secret);
  } else if (input.secret !== undefined) {
    throw new InvalidSubscriptionError(`a secret signs webhooks only, not ${input.sink.kind} deliveries`);
  }
  const what = input.sink.kind === 'webhook' ? 'the webhook URL' : 'the SQS queue URL';
  const tooLong = (length: number) =>
    new InvalidSubscriptionError(
      `${what} is ${length} characters long, at most ${MAX_URL_LENGTH} are accepted (${excerpt(input.sink.url, 40)})`,
    );
  if (input.sink.url.length > MAX_URL_LENGTH * 4) throw tooLong(input.sink.url.length);
  let sinkUrl: URL;
  try {
    sinkUrl = new URL(input.sink.url);
  } catch (cause) {
    throw new InvalidSubscriptionError(
      `${what.replace(' URL', '')} is not an absolute URL: ${excerpt(input.sink.url)}`,
      {
        cause,
      },
    );
  }
  if (sinkUrl.protocol !== 'http:' && sinkUrl.protocol !== 'https:') {
    throw new InvalidSubscriptionError(`${what.replace(' URL', '')} must be http or https, not ${sinkUrl.protocol}`);
  }
  if (input.sink.kind === 'sqs' && (!QUEUE_PATH.test(sinkUrl.pathname) || sinkUrl.search || sinkUrl.hash)) {
    throw new InvalidSubscriptionError(
      `the SQS queue URL must look like https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE, not ${excerpt(input.sink.url)}`,
    );
  }
  const url = sinkUrl.toString();
  if (url.length > MAX_URL_LENGTH) throw tooLong(url.length);
  return { ...input.sink, url };
}

/** The longest grace period of a rotation: the previous secret signs at most this long after it. */
export const MAX_ROTATION_GRACE_SECONDS = 30 * 24 * 60 * 60;
/** The grace period of a rotation that names none: a day, time for every receiver to take the new secret. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 24 * 60 * 60;

/**
 * The subscription with `sealedSecret` as its secret and its secret until now as the previous one, which
 * still signs for `graceSeconds` (0: not at all). A rotation during another one's grace drops the oldest
 * secret: at most two sign at once.
 */
export function rotatedSecret(
  subscription: Subscription,
  sealedSecret: string,
  graceSeconds: number,
  now: Date,
): Subscription {
  if (subscription.sink.kind !== 'webhook' || subscription.secret === undefined) {
    throw new InvalidSubscriptionError(`a ${subscription.sink.kind} subscription has no secret to rotate`);
  }
  if (subscription.status !== 'active') {
    throw new InvalidSubscriptionError(`subscription ${subscription.id} has ended: there is no secret to rotate`);
  }
  if (!Number.isSafeInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_ROTATION_GRACE_SECONDS) {
    throw new InvalidSubscriptionError(
      `the grace period must be a whole number of seconds from 0 to ${MAX_ROTATION_GRACE_SECONDS}, not ${graceSeconds}`,
    );
  }
  const { previousSecret: _secret, previousSecretUntil: _until, ...rest } = subscription;
  return graceSeconds === 0
    ? { ...rest, secret: sealedSecret }
    : {
        ...rest,
        secret: sealedSecret,
        previousSecret: subscription.secret,
        previousSecretUntil: new Date(now.getTime() + graceSeconds * 1000).toISOString(),
      };
}

/**
 * `current` with the secrets of `rotated` in place of its own (`secret`, `previousSecret`,
 * `previousSecretUntil`; one that `rotated` has not is removed): what a store writes for a rotation.
 */
export function withSecretsOf(current: Subscription, rotated: Subscription): Subscription {
  const { secret: _secret, previousSecret: _previous, previousSecretUntil: _until, ...rest } = current;
  const { secret, previousSecret, previousSecretUntil } = rotated;
  return {
    ...rest,
    ...(secret !== undefined ? { secret } : {}),
    ...(previousSecret !== undefined ? { previousSecret } : {}),
    ...(previousSecretUntil !== undefined ? { previousSecretUntil } : {}),
  };
}

/** The secrets that sign a delivery at `now`: the current one, and the previous one while its grace lasts. */
export function signingSecrets(
  subscription: Pick<Subscription, 'secret' | 'previousSecret' | 'previousSecretUntil'>,
  now: Date,
): string[] {
  const secrets = subscription.secret !== undefined ? [subscription.secret] : [];
  if (
    subscription.previousSecret !== undefined &&
    subscription.previousSecretUntil !== undefined &&
    Date.parse(subscription.previousSecretUntil) > now.getTime()
  ) {
    secrets.push(subscription.previousSecret);
  }
  return secrets;
}

export function newSubscription(input: SubscriptionInput & { now: Date }): Subscription {
  const sink = checkSubscriptionInput(input);
  const feedId = feedIdFor(input.feedUrl);
  return {
    id: subscriptionIdFor(feedId, sink),
    feedId,
    feedUrl: input.feedUrl,
    sink,
    ...(input.secret !== undefined ? { secret: input.secret } : {}),
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

/**
 * The subscriptions a bulk import brings to a feed it creates are stored in packs: one item of a shard holds up
 * to about `PACK_SIZE` of them, so that the import writes a fortieth of the items (a store pays per item
 * written far more than per byte) and a fan-out page reads a few dozen items. Every other subscription (added
 * to a feed that was there already) is an item of its own, written in one put with no read of others: a pack
 * is written whole, once, by the import that creates its feed, so no write can drop another one's
 * subscription. A pack is named by its level and its bucket (`#p10.0713`):
 * - the level is how finely the shard was split: 2^level buckets, the fewest that keep a shard's subscribers
 *   at most `PACK_SIZE` to a bucket (a feed of 40 is one pack, one of 20,000 is 512 packs of about 39), at
 *   most `MAX_PACK_LEVEL`;
 * - the bucket is taken from bits of hash(id) above the shard's, so it does not depend on K.
 *
 * A lookup by id reads its own item and every level of pack in every candidate shard, in one batched read; a
 * lookup of many ids first asks each shard its highest level.
 */
export const PACK_SIZE = 64;
/**
 * 2^12 packs a shard: 100,000 subscribers a shard (the default K step) are 2,048 packs of about 49, and a shard
 * keeps at most 64 a pack up to 262,144 (a larger step). A pack of 64 is about 16 KB, far within DynamoDB's 400.
 */
export const MAX_PACK_LEVEL = 12;
/** The shard bits sit below the bucket bits: K is at most 2^10. */
const SHARD_BITS = Math.log2(MAX_SUBSCRIBER_SHARDS);
/** What every pack's name begins with; no subscription id does (ids are hex digests). */
export const PACK_PREFIX = '#p';

/** The level of the packs written into a shard holding `perShard` subscribers. */
export function packLevel(perShard: number): number {
  let level = 0;
  while (perShard > PACK_SIZE * 2 ** level && level < MAX_PACK_LEVEL) level++;
  return level;
}

/** The level of the packs an import writes for a feed it creates with `subscribers` over `shards` shards. */
export function packLevelFor(shards: number, subscribers: number): number {
  return packLevel(Math.ceil(subscribers / subscriberShardCount(shards)));
}

/** The pack of a subscription at one level. */
export function packAt(subscriptionId: string, level: number): string {
  const bucket = (shardHash(subscriptionId) >>> SHARD_BITS) % 2 ** level;
  return `${PACK_PREFIX}${String(level).padStart(2, '0')}.${String(bucket).padStart(4, '0')}`;
}

/** The level a pack's name says. */
export const packLevelOf = (pack: string): number => Number(pack.slice(PACK_PREFIX.length, PACK_PREFIX.length + 2));

/** Where an import puts a subscription of the feed it creates with `subscribers` subscribers in `shards` shards. */
export function packPlaceOf(
  subscriptionId: string,
  shards: number,
  subscribers: number,
): { shard: number; pack: string } {
  return {
    shard: shardOf(subscriptionId, subscriberShardCount(shards)),
    pack: packAt(subscriptionId, packLevelFor(shards, subscribers)),
  };
}

/** Every pack of a shard a subscription may be in: each level up to `highest` (the shard's, if known). */
export function candidatePacks(subscriptionId: string, highest: number = MAX_PACK_LEVEL): string[] {
  const packs: string[] = [];
  for (let level = 0; level <= Math.min(highest, MAX_PACK_LEVEL); level++) packs.push(packAt(subscriptionId, level));
  return packs;
}

/** Whether a sort key names a pack (an item of one subscription is keyed by the subscription's id). */
export const isPack = (key: string): boolean => key.startsWith(PACK_PREFIX);
