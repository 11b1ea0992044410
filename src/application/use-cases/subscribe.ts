import { inject, injectable } from 'inversify';
import { newFeed, type Feed } from '../../domain/feed.js';
import {
  grownShardCount,
  newSubscription,
  shardOf,
  type SinkDescriptor,
  type Subscription,
} from '../../domain/subscription.js';
import { Limiter, mapBounded } from '../bounded.js';
import { NotFoundError } from '../errors.js';
import type { Clock } from '../ports/clock.port.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { PlacedSubscription, SubscriptionRepository } from '../ports/subscription-store.port.js';
import type { RelaySettings } from '../settings.js';
import { TOKENS } from '../tokens.js';

/** Feeds of one import added, or looked up and counted, at once, so that their round trips overlap. */
const FEEDS_AT_ONCE = 10;
/**
 * Subscriptions are sealed and written this many at a time (of any feeds), two such chunks at once: the sealing
 * of one chunk overlaps the writes of the other instead of holding up every write.
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
 * Subscriptions queued from any feeds and written `WRITE_CHUNK` at a time, `CHUNKS_AT_ONCE` chunks at once,
 * while more are being queued.
 */
class ChunkedWrites {
  private chunk: PlacedSubscription[] = [];
  private readonly writing: Promise<PlacedSubscription[]>[] = [];
  private readonly limiter = new Limiter(CHUNKS_AT_ONCE);

  constructor(private readonly write: (chunk: PlacedSubscription[]) => Promise<PlacedSubscription[]>) {}

  add(placed: readonly PlacedSubscription[]): void {
    for (const one of placed) {
      this.chunk.push(one);
      if (this.chunk.length === WRITE_CHUNK) this.send();
    }
  }

  /** Writes the last chunk, waits for every write, and returns what was written. */
  async finish(): Promise<PlacedSubscription[]> {
    if (this.chunk.length > 0) this.send();
    const settled = await Promise.allSettled(this.writing);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
  }

  private send(): void {
    const chunk = this.chunk;
    this.chunk = [];
    const written = this.limiter.run(() => this.write(chunk));
    // Awaited in `finish`; until then a failed write must not count as an unhandled rejection.
    written.catch(() => undefined);
    this.writing.push(written);
  }
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
 * (which doubles its shards when they fill up); an active subscription is never replaced. A feed's
 * subscriptions are stamped and queued once that feed is counted, and written while the other feeds are still
 * being added or counted; the queue holds the subscriptions of all feeds, written in full chunks.
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

    const writes = new ChunkedWrites((chunk) => this.write(chunk));
    const kept: Subscription[] = [];
    let failure: { error: unknown } | undefined;
    await mapBounded([...byFeed.values()], FEEDS_AT_ONCE, async ({ feed, wanted }) => {
      const born = { ...feed, subscribers: wanted.size, subscriberShards: grownShardCount(1, wanted.size, perShard) };
      const plan = await this.planFeed(born, [...wanted.values()]);
      for (const subscription of plan.kept) kept.push(subscription);
      // Stamped after the count: a fetch that committed while the count was still 0 (and so announced nothing)
      // discovered its articles before this instant, which these subscriptions do not want.
      const createdAt = this.clock.now().toISOString();
      writes.add(
        plan.toWrite.map(({ subscription, shard }) => ({ shard, subscription: { ...subscription, createdAt } })),
      );
    }).catch((error: unknown) => {
      failure = { error };
    });
    // A feed that could not be added or counted fails the import, once the subscriptions of every feed that was
    // are written: each feed's count is then the number of its subscriptions, as a re-import expects.
    const written = await writes.finish().catch((error: unknown) => {
      throw failure ? failure.error : error;
    });
    if (failure) throw failure.error;

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

  /** Writes the subscriptions, each secret sealed for its subscription first; returns them as written. */
  private async write(chunk: readonly PlacedSubscription[]): Promise<PlacedSubscription[]> {
    const sealed = await Promise.all(
      chunk.map(async ({ subscription, shard }) =>
        subscription.secret === undefined
          ? { subscription, shard }
          : {
              shard,
              subscription: { ...subscription, secret: await this.cipher.seal(subscription.secret, subscription.id) },
            },
      ),
    );
    await this.subscriptions.putMany(sealed);
    return sealed;
  }

  /**
   * For one feed: added counting its subscriptions (all written to the shard of their id under its K), or, when
   * it was there already, as `planExistingFeed` says.
   */
  private async planFeed(
    born: Feed,
    wanted: readonly Subscription[],
  ): Promise<{ toWrite: PlacedSubscription[]; kept: Subscription[] }> {
    const [added] = await this.feeds.addNew([born]);
    if (!added) return this.planExistingFeed(born.id, wanted);
    const shards = added.subscriberShards ?? 1;
    return {
      toWrite: wanted.map((subscription) => ({ subscription, shard: shardOf(subscription.id, shards) })),
      kept: [],
    };
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
