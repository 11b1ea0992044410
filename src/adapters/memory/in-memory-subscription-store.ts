import type { PagePosition } from '../../domain/cursor.js';
import { candidateShards, packLevelOf, shardOf, withSecretsOf, type Subscription } from '../../domain/subscription.js';
import type { SubscriptionLayout } from '../../domain/feed.js';
import type { Page } from '../../application/ports/page.js';
import type {
  PlacedSubscription,
  SubscriberPageReader,
  SubscriptionRepository,
} from '../../application/ports/subscription-store.port.js';
import { fullPages, paginate, SortedMap, type PageBudget } from './paginate.js';

/** One subscription where it is stored, under its sort key: its pack's, then its id (its id alone: no pack). */
interface Stored {
  readonly at: string;
  readonly subscription: Subscription;
  readonly pack?: string;
}

/** One feed shard: its subscriptions in page order, and where each id was last written. */
interface Shard {
  readonly sorted: SortedMap<Stored>;
  readonly placeOf: Map<string, string>;
}

/**
 * Subscriptions in memory, grouped by feed shard (`<feedId>#<shard>`) and paged like a DynamoDB query of the
 * table: a pack's subscriptions together (by id within it), packs in the order of their names, then the items
 * of one subscription by id.
 */
export class InMemorySubscriptionStore implements SubscriptionRepository, SubscriberPageReader {
  private readonly byShard = new Map<string, Shard>();
  private readonly removed = new Set<string>();

  constructor(private readonly budget: PageBudget = fullPages) {}

  async add(subscription: Subscription, shards = 1): Promise<Subscription> {
    const [existing] = await this.findMany(subscription.feedId, [subscription.id], shards);
    if (existing?.subscription.status === 'active') return existing.subscription;
    this.write(existing ? { ...existing, subscription } : { subscription, shard: shardOf(subscription.id, shards) });
    return subscription;
  }

  async get(feedId: string, subscriptionId: string): Promise<Subscription | undefined> {
    return (await this.findMany(feedId, [subscriptionId], undefined))[0]?.subscription;
  }

  async findMany(
    feedId: string,
    subscriptionIds: readonly string[],
    shards: number | undefined,
    layout?: SubscriptionLayout,
  ): Promise<PlacedSubscription[]> {
    // As in DynamoDB, a layout given limits the places looked at: one it leaves out is not found.
    const allowed = (pack: string | undefined): boolean =>
      !layout || (pack === undefined ? layout.unpacked : packLevelOf(pack) === layout.packLevel);
    const found: PlacedSubscription[] = [];
    for (const id of new Set(subscriptionIds)) {
      for (const shard of candidateShards(id, shards)) {
        const stored = this.stored(feedId, shard, id);
        if (stored && allowed(stored.pack)) {
          found.push({ subscription: stored.subscription, shard, ...(stored.pack ? { pack: stored.pack } : {}) });
          break;
        }
      }
    }
    return found;
  }

  async putMany(placed: readonly PlacedSubscription[], options: { newPacks?: boolean } = {}): Promise<void> {
    if (options.newPacks) {
      // Written whole: whatever the packs held is replaced.
      const packs = new Map<string, Set<string | undefined>>();
      for (const { subscription, shard, pack } of placed) {
        const name = key(subscription.feedId, shard);
        packs.set(name, (packs.get(name) ?? new Set()).add(pack));
      }
      for (const [name, named] of packs) {
        const sorted = this.byShard.get(name)?.sorted;
        for (const [at, stored] of sorted?.entries() ?? []) if (named.has(stored.pack)) sorted!.delete(at);
      }
    }
    for (const one of placed) this.write(one);
  }

  async noteRemoved(feedIds: readonly string[]): Promise<void> {
    for (const feedId of feedIds) this.removed.add(feedId);
  }

  async removedAmong(feedIds: readonly string[]): Promise<Set<string>> {
    return new Set(feedIds.filter((feedId) => this.removed.has(feedId)));
  }

  async end(feedId: string, subscriptionId: string): Promise<void> {
    const [existing] = await this.findMany(feedId, [subscriptionId], undefined);
    if (existing) this.write({ ...existing, subscription: { ...existing.subscription, status: 'ended' } });
  }

  async rotateSecret({ subscription, shard, pack }: PlacedSubscription, expectedSecret: string): Promise<boolean> {
    const stored = this.stored(subscription.feedId, shard, subscription.id);
    // Written only where it is said to be, as a conditional update of that item.
    if (!stored || stored.pack !== pack) return false;
    if (stored.subscription.status !== 'active' || stored.subscription.secret !== expectedSecret) return false;
    this.write({
      shard,
      ...(stored.pack ? { pack: stored.pack } : {}),
      subscription: withSecretsOf(stored.subscription, subscription),
    });
    return true;
  }

  async readPage(
    feedId: string,
    shard: number,
    after: PagePosition | undefined,
    limit: number,
  ): Promise<Page<Subscription>> {
    const stored = this.byShard.get(key(feedId, shard))?.sorted.values() ?? [];
    const page = paginate(stored, (s) => s.at, after, limit, this.budget, 'at');
    return { ...page, items: page.items.map((s) => s.subscription) };
  }

  private stored(feedId: string, shard: number, subscriptionId: string): Stored | undefined {
    const partition = this.byShard.get(key(feedId, shard));
    const at = partition?.placeOf.get(subscriptionId);
    return at === undefined ? undefined : partition!.sorted.get(at);
  }

  private write({ subscription, shard, pack }: PlacedSubscription): void {
    const partition = this.partition(subscription.feedId, shard);
    const at = `${pack ?? subscription.id}\u0000${subscription.id}`;
    partition.sorted.set(at, { at, subscription, ...(pack ? { pack } : {}) });
    partition.placeOf.set(subscription.id, at);
  }

  private partition(feedId: string, shard: number): Shard {
    let partition = this.byShard.get(key(feedId, shard));
    if (!partition) this.byShard.set(key(feedId, shard), (partition = { sorted: new SortedMap(), placeOf: new Map() }));
    return partition;
  }
}

const key = (feedId: string, shard: number): string => `${feedId}#${shard}`;
