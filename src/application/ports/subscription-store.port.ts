import type { PagePosition } from '../../domain/cursor.js';
import type { SubscriptionLayout } from '../../domain/feed.js';
import type { Subscription } from '../../domain/subscription.js';
import type { Page } from './page.js';

/**
 * A subscription and where it is stored: the shard of its feed and, when a bulk import put it in one, its pack
 * in that shard (`packPlaceOf`); without a pack it is an item of its own.
 */
export interface PlacedSubscription {
  readonly subscription: Subscription;
  readonly shard: number;
  readonly pack?: string;
}

/**
 * The subscriptions table. A feed's subscriptions are spread over its shards (`Feed.subscriberShards`), those a
 * bulk import brought to the feed it created in packs (`PACK_SIZE`); a subscription is looked up by (feed, id)
 * in every shard and pack it may have been written to (`candidateShards`, `candidatePacks`).
 */
export interface SubscriptionRepository {
  /**
   * Stores the subscription unless an active one with its id exists; returns the stored one either way. A new
   * one is an item of its own in its shard of a feed of `shards` shards; an ended one is renewed where it is.
   */
  add(subscription: Subscription, shards?: number): Promise<Subscription>;
  get(feedId: string, subscriptionId: string): Promise<Subscription | undefined>;
  /**
   * The stored ones among `subscriptionIds` of a feed of `shards` shards (absent: any K), with their place. With
   * the feed's `layout`, only the places it allows are looked at (its packs' level, and items of their own only
   * if `unpacked`).
   */
  findMany(
    feedId: string,
    subscriptionIds: readonly string[],
    shards?: number,
    layout?: SubscriptionLayout,
  ): Promise<PlacedSubscription[]>;
  /**
   * Writes each subscription to its place as it is, unconditionally: the caller decided what to write. One placed
   * in a pack replaces its own entry there (the others stay), unless `newPacks`: the caller then says each pack
   * named holds nothing yet and `placed` holds all it will hold, and each is written whole at once.
   */
  putMany(placed: readonly PlacedSubscription[], options?: { readonly newPacks?: boolean }): Promise<void>;
  /**
   * Notes that these feeds are about to be removed. Their subscriptions stay in the table, and a feed added again
   * finds them: an import that adds one of these feeds looks its subscriptions up instead of writing new packs.
   */
  noteRemoved(feedIds: readonly string[]): Promise<void>;
  /** Those of `feedIds` that were removed once (`noteRemoved`): the table may hold subscriptions of theirs. */
  removedAmong(feedIds: readonly string[]): Promise<Set<string>>;
  /** Marks the subscription ended (a sink said it is gone); it receives nothing more. */
  end(feedId: string, subscriptionId: string): Promise<void>;
  /**
   * Writes the secrets of `rotated` (`secret`, `previousSecret`, `previousSecretUntil`; absent ones removed) to
   * the stored subscription in its place, only while that one is active and its secret is still
   * `expectedSecret`: a concurrent rotation or end wins. Returns whether it was written.
   */
  rotateSecret(rotated: PlacedSubscription, expectedSecret: string): Promise<boolean>;
}

/**
 * Reads one shard of one feed's subscribers one page at a time: at most `limit` subscriptions, in an order of
 * the store's that stays the same between reads (not by id: a pack's come together).
 */
export interface SubscriberPageReader {
  readPage(feedId: string, shard: number, after: PagePosition | undefined, limit: number): Promise<Page<Subscription>>;
}
