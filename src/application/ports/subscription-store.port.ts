import type { PagePosition } from '../../domain/cursor.js';
import type { Subscription } from '../../domain/subscription.js';
import type { Page } from './page.js';

/** A subscription and the shard of its feed it is stored in. */
export interface PlacedSubscription {
  readonly subscription: Subscription;
  readonly shard: number;
}

/**
 * The subscriptions table. A feed's subscriptions are spread over its shards (`Feed.subscriberShards`); a
 * subscription is looked up by (feed, id) in every shard it may have been written to (`candidateShards`).
 */
export interface SubscriptionRepository {
  /** Stores the subscription unless an active one with its id exists; returns the stored one either way. */
  add(subscription: Subscription, shards?: number): Promise<Subscription>;
  get(feedId: string, subscriptionId: string): Promise<Subscription | undefined>;
  /** The stored ones among `subscriptionIds` of a feed of `shards` shards (absent: any K), with their shard. */
  findMany(feedId: string, subscriptionIds: readonly string[], shards?: number): Promise<PlacedSubscription[]>;
  /** Writes each subscription to its shard as it is, unconditionally: the caller decided what to write. */
  putMany(placed: readonly PlacedSubscription[]): Promise<void>;
  /** Marks the subscription ended (a sink said it is gone); it receives nothing more. */
  end(feedId: string, subscriptionId: string): Promise<void>;
  /**
   * Writes the secrets of `rotated` (`secret`, `previousSecret`, `previousSecretUntil`; absent ones removed) to
   * the stored subscription in its shard, only while that one is active and its secret is still
   * `expectedSecret`: a concurrent rotation or end wins. Returns whether it was written.
   */
  rotateSecret(rotated: PlacedSubscription, expectedSecret: string): Promise<boolean>;
}

/** Reads one shard of one feed's subscribers one page at a time. */
export interface SubscriberPageReader {
  readPage(feedId: string, shard: number, after: PagePosition | undefined, limit: number): Promise<Page<Subscription>>;
}
