import { inject, injectable } from 'inversify';
import { newFeed, type Feed } from '../../domain/feed.js';
import {
  grownShardCount,
  newSubscription,
  shardOf,
  type SinkDescriptor,
  type Subscription,
} from '../../domain/subscription.js';
import { mapBounded } from '../bounded.js';
import { NotFoundError } from '../errors.js';
import type { Clock } from '../ports/clock.port.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { PlacedSubscription, SubscriptionRepository } from '../ports/subscription-store.port.js';
import type { RelaySettings } from '../settings.js';
import { TOKENS } from '../tokens.js';

/** Existing feeds of one import looked up and counted at once, so that their round trips overlap. */
const FEEDS_AT_ONCE = 8;
/**
 * Subscriptions are sealed and written this many at a time, two such chunks at once: the sealing of one chunk
 * overlaps the writes of the other instead of holding up every write.
 */
const WRITE_CHUNK = 100;
const CHUNKS_AT_ONCE = 2;

export interface SubscribeInput {
  readonly feedUrl: string;
  readonly sink: SinkDescriptor;
  /** The plain signing secret of a webhook; other sinks have none. */
  readonly secret?: string;
}

/**
 * Subscribes sinks to feeds in bulk, adding the feeds that are not in the table yet. Every input is checked
 * before anything is written, so a batch with one bad line changes nothing. Webhook secrets are sealed
 * (`SecretCipher`) as their subscriptions are written, a chunk at a time, and only those: an active
 * subscription kept as it was needs no sealing. The subscriptions returned hold their secrets sealed, as stored.
 *
 * A feed the import adds is created already counting its subscriptions (and with the shards that count needs),
 * so it needs no lookup and no count update; it is taken to have no subscriptions yet (`RemoveFeeds` leaves a
 * removed feed's subscriptions in the table, and re-adding that feed by import overwrites the ones it names).
 * A feed that was there already gets one batched lookup of the subscriptions that exist and one count update
 * (which doubles its shards when they fill up); an active subscription is never replaced. Every count is made
 * before any subscription is stamped and written, and the subscriptions of all feeds are then written together
 * in full batches.
 *
 * Concurrent imports of the same subscription are not serialized: between the lookup and the write, the
 * last writer wins (same id, so never two copies in one shard).
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
    // Each feed's distinct subscriptions (the last line of an id wins) and the feed as it would be created.
    const byFeed = new Map<string, { feed: Feed; wanted: Map<string, Subscription> }>();
    checked.forEach((subscription, i) => {
      let group = byFeed.get(subscription.feedId);
      if (!group) {
        group = { feed: newFeed(inputs[i]!.feedUrl, now), wanted: new Map() };
        byFeed.set(subscription.feedId, group);
      }
      group.wanted.set(subscription.id, subscription);
    });
    const perShard = this.settings.subscribersPerShard;
    const born = [...byFeed.values()].map(({ feed, wanted }) => ({
      ...feed,
      subscribers: wanted.size,
      subscriberShards: grownShardCount(1, wanted.size, perShard),
    }));
    const added = new Map((await this.feeds.addNew(born)).map((feed) => [feed.id, feed]));

    const toWrite: PlacedSubscription[] = [];
    const kept: Subscription[] = [];
    for (const [feedId, { wanted }] of byFeed) {
      const feed = added.get(feedId);
      if (!feed) continue;
      const shards = feed.subscriberShards ?? 1;
      for (const subscription of wanted.values())
        toWrite.push({ subscription, shard: shardOf(subscription.id, shards) });
    }
    const existing = [...byFeed].filter(([feedId]) => !added.has(feedId));
    await mapBounded(existing, FEEDS_AT_ONCE, async ([feedId, { wanted }]) => {
      const plan = await this.planExistingFeed(feedId, [...wanted.values()]);
      toWrite.push(...plan.toWrite);
      kept.push(...plan.kept);
    });

    // Stamped after every count: a fetch that committed while a count was still 0 (and so announced nothing)
    // discovered its articles before this instant, which these subscriptions do not want.
    const createdAt = this.clock.now().toISOString();
    const chunks: PlacedSubscription[][] = [];
    for (let offset = 0; offset < toWrite.length; offset += WRITE_CHUNK) {
      chunks.push(toWrite.slice(offset, offset + WRITE_CHUNK));
    }
    const written = (
      await mapBounded(chunks, CHUNKS_AT_ONCE, async (chunk) => {
        const sealed = await Promise.all(chunk.map((placed) => this.sealed(placed, createdAt)));
        await this.subscriptions.putMany(sealed);
        return sealed;
      })
    ).flat();

    // Every subscription asked for is either written or kept as it was found active.
    const stored = new Map<string, Subscription>();
    for (const subscription of kept) stored.set(subscription.id, subscription);
    for (const { subscription } of written) stored.set(subscription.id, subscription);
    return {
      subscriptions: checked.map((s) => stored.get(s.id)!),
      created: written.length,
      createdIds: new Set(written.map(({ subscription }) => subscription.id)),
    };
  }

  /** The subscription as it is written: stamped `createdAt`, its secret (if any) sealed for its id. */
  private async sealed({ subscription, shard }: PlacedSubscription, createdAt: string): Promise<PlacedSubscription> {
    const secret =
      subscription.secret === undefined ? undefined : await this.cipher.seal(subscription.secret, subscription.id);
    return { shard, subscription: { ...subscription, createdAt, ...(secret !== undefined ? { secret } : {}) } };
  }

  /**
   * For a feed that was there already: the subscriptions to write (missing ones in the shard of their id under
   * K after the count, ended ones revived in the shard they are in) and the active ones kept as they are.
   */
  private async planExistingFeed(
    feedId: string,
    wanted: readonly Subscription[],
  ): Promise<{ toWrite: PlacedSubscription[]; kept: Subscription[] }> {
    const feed = await this.feeds.get(feedId);
    if (!feed) throw new NotFoundError(`feed ${feedId} went away while it was subscribed to`);
    const found = await this.subscriptions.findMany(
      feedId,
      wanted.map((s) => s.id),
      feed.subscriberShards ?? 1,
    );
    const existing = new Map(found.map((placed) => [placed.subscription.id, placed]));
    const missing = wanted.filter((s) => !existing.has(s.id));
    const revived: PlacedSubscription[] = wanted.flatMap((s) => {
      const found = existing.get(s.id);
      return found && found.subscription.status !== 'active' ? [{ subscription: s, shard: found.shard }] : [];
    });
    // Counted before they are written: K must have grown before a subscription is placed by it.
    const shards =
      missing.length > 0
        ? (await this.feeds.addSubscribers(feedId, missing.length, this.settings.subscribersPerShard)).subscriberShards
        : (feed.subscriberShards ?? 1);
    return {
      toWrite: [
        ...missing.map((subscription) => ({ subscription, shard: shardOf(subscription.id, shards) })),
        ...revived,
      ],
      kept: found.flatMap((p) => (p.subscription.status === 'active' ? [p.subscription] : [])),
    };
  }
}
