import { inject, injectable } from 'inversify';
import { newFeed, type Feed } from '../../domain/feed.js';
import { newSubscription, shardOf, type SinkDescriptor, type Subscription } from '../../domain/subscription.js';
import { mapBounded } from '../bounded.js';
import { NotFoundError } from '../errors.js';
import type { Clock } from '../ports/clock.port.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { PlacedSubscription, SubscriptionRepository } from '../ports/subscription-store.port.js';
import type { RelaySettings } from '../settings.js';
import { TOKENS } from '../tokens.js';

/** Feeds of one import subscribed to at once. */
const FEEDS_AT_ONCE = 8;

export interface SubscribeInput {
  readonly feedUrl: string;
  readonly sink: SinkDescriptor;
  /** The plain signing secret of a webhook; other sinks have none. */
  readonly secret?: string;
}

/**
 * Subscribes sinks to feeds in bulk, adding the feeds that are not in the table yet. Every input is checked
 * before anything is written, so a batch with one bad line changes nothing. Webhook secrets are sealed
 * (`SecretCipher`) before they are written: the subscriptions returned hold them sealed, as stored. Per feed:
 * one batched lookup of the subscriptions that exist, one count update on the feed (which doubles its shards
 * when they fill up), and batched writes of the missing or ended ones; an active subscription is never
 * replaced.
 *
 * Concurrent imports of the same subscription are not serialized: between the lookup and the write, the
 * last writer wins (same id, so never two copies in one shard). A feed the import itself added is taken to
 * have no subscriptions (no lookup): `RemoveFeeds` leaves a removed feed's subscriptions in the table, and
 * re-adding that feed by import overwrites the ones it names.
 */
@injectable()
export class Subscribe {
  constructor(
    @inject(TOKENS.SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
    @inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
    @inject(TOKENS.SecretCipher) private readonly cipher: SecretCipher,
  ) {}

  /**
   * Returns the subscriptions in input order (as stored: an active one found is kept as it was), how many were
   * created or revived, and which (`createdIds`): those got the secret of their input.
   */
  async execute(
    inputs: readonly SubscribeInput[],
  ): Promise<{ subscriptions: Subscription[]; created: number; createdIds: ReadonlySet<string> }> {
    const now = this.clock.now();
    // Validation first: any bad input throws here, before a single write.
    const checked = inputs.map((input) => newSubscription({ ...input, now }));
    const planned = await Promise.all(
      checked.map(async (s) => (s.secret !== undefined ? { ...s, secret: await this.cipher.seal(s.secret, s.id) } : s)),
    );
    const feedsById = new Map<string, Feed>();
    for (const url of new Set(inputs.map((input) => input.feedUrl))) {
      const feed = newFeed(url, now);
      if (!feedsById.has(feed.id)) feedsById.set(feed.id, feed);
    }
    const added = new Set((await this.feeds.addNew([...feedsById.values()])).map((feed) => feed.id));

    const byFeed = new Map<string, Subscription[]>();
    for (const subscription of planned) {
      const group = byFeed.get(subscription.feedId);
      if (group) group.push(subscription);
      else byFeed.set(subscription.feedId, [subscription]);
    }
    const stored = new Map<string, Subscription>();
    const createdIds = new Set<string>();
    // Feeds are independent of each other: a few at once, so that the round trips of one overlap another's.
    await mapBounded([...byFeed], FEEDS_AT_ONCE, async ([feedId, wanted]) => {
      const result = await this.subscribeToFeed(feedId, wanted, added.has(feedId));
      for (const id of result.createdIds) createdIds.add(id);
      for (const subscription of result.stored) stored.set(subscription.id, subscription);
    });
    return { subscriptions: planned.map((s) => stored.get(s.id) ?? s), created: createdIds.size, createdIds };
  }

  /** `isNew`: this import added the feed, so none of its subscriptions can exist yet (nothing to look up). */
  private async subscribeToFeed(
    feedId: string,
    wanted: readonly Subscription[],
    isNew: boolean,
  ): Promise<{ stored: Subscription[]; createdIds: string[] }> {
    const feed = await this.feeds.get(feedId);
    if (!feed) throw new NotFoundError(`feed ${feedId} went away while it was subscribed to`);
    const distinct = [...new Map(wanted.map((s) => [s.id, s])).values()];
    const found = isNew
      ? []
      : await this.subscriptions.findMany(
          feedId,
          distinct.map((s) => s.id),
          feed.subscriberShards ?? 1,
        );
    const existing = new Map(found.map((placed) => [placed.subscription.id, placed]));
    const missing = distinct.filter((s) => !existing.has(s.id));
    const renewed: PlacedSubscription[] = distinct.flatMap((s) => {
      const found = existing.get(s.id);
      return found && found.subscription.status !== 'active' ? [{ subscription: s, shard: found.shard }] : [];
    });
    // Counted before they are written: K must have grown before a subscription is placed by it.
    const shards =
      missing.length > 0
        ? (await this.feeds.addSubscribers(feedId, missing.length, this.settings.subscribersPerShard)).subscriberShards
        : (feed.subscriberShards ?? 1);
    // Stamped after the count: a fetch that committed while the count was still 0 (and so announced nothing)
    // discovered its articles before this instant, which this subscription does not want.
    const createdAt = this.clock.now().toISOString();
    const added = missing.map((subscription) => ({ ...subscription, createdAt }));
    const revived = renewed.map((placed) => ({ ...placed, subscription: { ...placed.subscription, createdAt } }));
    await this.subscriptions.putMany([
      ...added.map((subscription) => ({ subscription, shard: shardOf(subscription.id, shards) })),
      ...revived,
    ]);
    const kept = [...existing.values()].flatMap((p) => (p.subscription.status === 'active' ? [p.subscription] : []));
    return {
      stored: [...kept, ...added, ...revived.map((p) => p.subscription)],
      createdIds: [...added, ...revived.map((p) => p.subscription)].map((subscription) => subscription.id),
    };
  }
}
