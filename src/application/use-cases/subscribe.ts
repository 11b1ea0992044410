import { inject, injectable } from 'inversify';
import { layoutOf, newFeed, type Feed, type FeedLayout } from '../../domain/feed.js';
import {
  grownShardCount,
  newSubscription,
  packLevelFor,
  packPlaceOf,
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
const FEEDS_AT_ONCE = 32;
/**
 * Subscriptions are sealed and written a chunk at a time (of any feeds): `PACKS_PER_CHUNK` new packs (a
 * BatchWriteItem) or `WRITE_CHUNK` subscriptions of their own (four), `CHUNKS_AT_ONCE` chunks at once: the
 * sealing of one chunk overlaps the writes of the others instead of holding up every write.
 */
const PACKS_PER_CHUNK = 25;
const WRITE_CHUNK = 100;
const CHUNKS_AT_ONCE = 4;

export interface SubscribeInput {
  readonly feedUrl: string;
  readonly sink: SinkDescriptor;
  /** The plain signing secret of a webhook; other sinks have none. */
  readonly secret?: string;
}

/** What one feed of an import writes: new packs, each whole, and subscriptions of their own. */
interface FeedWrites {
  readonly packs: PlacedSubscription[][];
  readonly single: PlacedSubscription[];
}

/**
 * Subscriptions queued from any feeds and written a chunk at a time, `CHUNKS_AT_ONCE` chunks at once, while more
 * are being queued. A new pack is never split between chunks: it is written whole, once.
 */
class ChunkedWrites {
  private chunk: FeedWrites = emptyChunk();
  private readonly writing: Promise<PlacedSubscription[]>[] = [];
  private readonly limiter = new Limiter(CHUNKS_AT_ONCE);

  constructor(private readonly write: (chunk: FeedWrites) => Promise<PlacedSubscription[]>) {}

  add({ packs, single }: FeedWrites): void {
    for (const pack of packs) {
      this.chunk.packs.push(pack);
      if (this.chunk.packs.length === PACKS_PER_CHUNK) this.send();
    }
    for (const one of single) {
      this.chunk.single.push(one);
      if (this.chunk.single.length === WRITE_CHUNK) this.send();
    }
  }

  /** Writes the last chunk, waits for every write, and returns what was written. */
  async finish(): Promise<PlacedSubscription[]> {
    if (this.chunk.packs.length + this.chunk.single.length > 0) this.send();
    const settled = await Promise.allSettled(this.writing);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
  }

  private send(): void {
    const chunk = this.chunk;
    this.chunk = emptyChunk();
    const written = this.limiter.run(() => this.write(chunk));
    // Awaited in `finish`; until then a failed write must not count as an unhandled rejection.
    written.catch(() => undefined);
    this.writing.push(written);
  }
}

const emptyChunk = (): FeedWrites => ({ packs: [], single: [] });

/**
 * Subscribes sinks to feeds in bulk, adding the feeds that are not in the table yet. Every input is checked
 * before anything is written, so a batch with one bad line changes nothing. Webhook secrets are sealed
 * (`SecretCipher`) as their subscriptions are written, a chunk at a time, and only those: an active
 * subscription kept as it was needs no sealing. The subscriptions returned hold their secrets sealed, as stored.
 *
 * A feed the import adds is created already counting its subscriptions (and with the shards that count needs),
 * so it needs no count update. Unless it was removed once (a feed removed keeps its subscriptions, and re-adding
 * it finds them), it needs no lookup either: its subscriptions go to packs, each written whole in one put, and
 * the feed notes the packs' level. Which feeds are there already is one batched read of their K and layout. A
 * feed that was there already (or was removed once) gets one batched lookup of the subscriptions that exist (of
 * its packs only, and of items of their own once the feed has any, when it knows its layout) and, for those
 * missing, one count update (which doubles its shards when they fill up, and notes the feed unpacked); they are
 * written as items of their own, and an active subscription is never replaced. A feed's subscriptions are
 * stamped and queued once that feed is counted, and written while the other feeds are still being added or
 * counted.
 *
 * Concurrent imports of the same subscription are not serialized: between the lookup and the write, the
 * last writer wins (same id, so the same item), except while the import that creates a feed is writing its
 * packs: one of those subscriptions added then by another writer is stored twice, and the active copy counts.
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

    // Two batched reads: the feeds there already (their K and layout), which are looked up rather than created,
    // and the feeds removed once, which may still have subscriptions in the table.
    const feedIds = [...byFeed.keys()];
    const [layouts, removed] = await Promise.all([
      this.feeds.layoutsOf(feedIds),
      this.subscriptions.removedAmong(feedIds),
    ]);
    const writes = new ChunkedWrites((chunk) => this.write(chunk));
    const kept: Subscription[] = [];
    let failure: { error: unknown } | undefined;
    await mapBounded([...byFeed.values()], FEEDS_AT_ONCE, async ({ feed, wanted }) => {
      const born = { ...feed, subscribers: wanted.size, subscriberShards: grownShardCount(1, wanted.size, perShard) };
      const plan = await this.planFeed(born, [...wanted.values()], removed.has(born.id), layouts.get(born.id));
      for (const subscription of plan.kept) kept.push(subscription);
      // Stamped after the count: a fetch that committed while the count was still 0 (and so announced nothing)
      // discovered its articles before this instant, which these subscriptions do not want.
      const createdAt = this.clock.now().toISOString();
      const stamped = (placed: PlacedSubscription): PlacedSubscription => ({
        ...placed,
        subscription: { ...placed.subscription, createdAt },
      });
      writes.add({ packs: plan.packs.map((pack) => pack.map(stamped)), single: plan.single.map(stamped) });
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
  private async write(chunk: FeedWrites): Promise<PlacedSubscription[]> {
    const seal = (placed: readonly PlacedSubscription[]): Promise<PlacedSubscription[]> =>
      Promise.all(
        placed.map(async (one) =>
          one.subscription.secret === undefined
            ? one
            : {
                ...one,
                subscription: {
                  ...one.subscription,
                  secret: await this.cipher.seal(one.subscription.secret, one.subscription.id),
                },
              },
        ),
      );
    const [packed, single] = await Promise.all([seal(chunk.packs.flat()), seal(chunk.single)]);
    await Promise.all([
      packed.length > 0 ? this.subscriptions.putMany(packed, { newPacks: true }) : undefined,
      single.length > 0 ? this.subscriptions.putMany(single) : undefined,
    ]);
    return [...packed, ...single];
  }

  /**
   * For one feed: when it was there already (`stored`, as read), or turns out to be when it is added, as
   * `planExistingFeed` says; otherwise added counting its subscriptions, all in new packs under its K, the
   * packs' level noted on the feed (or, when it was removed once and the table may still hold subscriptions of
   * it, with no level, as `planAmongStored` says).
   */
  private async planFeed(
    born: Feed,
    wanted: readonly Subscription[],
    removedOnce: boolean,
    stored: FeedLayout | undefined,
  ): Promise<FeedPlan> {
    if (stored) return this.planExistingFeed(born.id, wanted, stored);
    const shards = born.subscriberShards ?? 1;
    const subscribers = born.subscribers ?? wanted.length;
    const [added] = await this.feeds.addNew([
      removedOnce ? born : { ...born, packLevel: packLevelFor(shards, subscribers) },
    ]);
    if (!added) return this.planExistingFeed(born.id, wanted);
    if (removedOnce) return this.planAmongStored(born.id, wanted, { subscriberShards: shards }, async () => shards);
    const packs = new Map<string, PlacedSubscription[]>();
    for (const subscription of wanted) {
      const place = packPlaceOf(subscription.id, shards, subscribers);
      const name = `${place.shard} ${place.pack}`;
      const pack = packs.get(name) ?? [];
      packs.set(name, pack);
      pack.push({ subscription, ...place });
    }
    return { packs: [...packs.values()], single: [], kept: [] };
  }

  /**
   * For a feed that was there already: its subscriptions counted, if any are missing, as they are written. Its
   * K and layout are read here unless given.
   */
  private async planExistingFeed(
    feedId: string,
    wanted: readonly Subscription[],
    stored?: FeedLayout,
  ): Promise<FeedPlan> {
    if (!stored) {
      const feed = await this.feeds.get(feedId);
      if (!feed) throw new NotFoundError(`feed ${feedId} went away while it was subscribed to`);
      stored = layoutOf(feed);
    }
    return this.planAmongStored(feedId, wanted, stored, async (missing) => {
      const counted = await this.feeds.addSubscribers(feedId, missing, this.settings.subscribersPerShard);
      return counted.subscriberShards;
    });
  }

  /**
   * For a feed whose subscriptions may be stored already (in at most `stored.subscriberShards` shards, laid out
   * as `stored.subscriptions` says, if it knows): the missing ones written to their shard once `count` has
   * counted them and answered K (K must have grown before a subscription is placed by it), ended ones revived
   * where they are, and the active ones kept as they are.
   */
  private async planAmongStored(
    feedId: string,
    wanted: readonly Subscription[],
    stored: FeedLayout,
    count: (missing: number) => Promise<number>,
  ): Promise<FeedPlan> {
    const shards = stored.subscriberShards;
    const found = await this.subscriptions.findMany(
      feedId,
      wanted.map((s) => s.id),
      shards,
      stored.subscriptions,
    );
    const existing = new Map(found.map((placed) => [placed.subscription.id, placed]));
    const missing = wanted.filter((s) => !existing.has(s.id));
    const revived: PlacedSubscription[] = wanted.flatMap((s) => {
      const found = existing.get(s.id);
      return found && found.subscription.status !== 'active' ? [{ ...found, subscription: s }] : [];
    });
    // K once the missing ones are counted (not asked for when none is missing).
    const counted = missing.length > 0 ? await count(missing.length) : shards;
    return {
      packs: [],
      single: [
        ...missing.map((subscription) => ({ subscription, shard: shardOf(subscription.id, counted) })),
        ...revived,
      ],
      kept: found.flatMap((p) => (p.subscription.status === 'active' ? [p.subscription] : [])),
    };
  }
}

/** What one feed of an import writes, and the active subscriptions it keeps as they are. */
interface FeedPlan extends FeedWrites {
  readonly kept: Subscription[];
}
