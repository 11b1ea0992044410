import type { PagePosition } from '../../domain/cursor.js';
import { candidateShards, shardOf, type Subscription } from '../../domain/subscription.js';
import type { Page } from '../../application/ports/page.js';
import type {
  PlacedSubscription,
  SubscriberPageReader,
  SubscriptionRepository,
} from '../../application/ports/subscription-store.port.js';
import { fullPages, paginate, SortedMap, type PageBudget } from './paginate.js';

/** Subscriptions in memory, grouped by feed shard (`<feedId>#<shard>`) and paged by id like a DynamoDB query. */
export class InMemorySubscriptionStore implements SubscriptionRepository, SubscriberPageReader {
  private readonly byShard = new Map<string, SortedMap<Subscription>>();

  constructor(private readonly budget: PageBudget = fullPages) {}

  async add(subscription: Subscription, shards = 1): Promise<Subscription> {
    const [existing] = await this.findMany(subscription.feedId, [subscription.id], shards);
    if (existing?.subscription.status === 'active') return existing.subscription;
    const shard = existing?.shard ?? shardOf(subscription.id, shards);
    this.partition(subscription.feedId, shard).set(subscription.id, subscription);
    return subscription;
  }

  async get(feedId: string, subscriptionId: string): Promise<Subscription | undefined> {
    return (await this.findMany(feedId, [subscriptionId], undefined))[0]?.subscription;
  }

  async findMany(
    feedId: string,
    subscriptionIds: readonly string[],
    shards: number | undefined,
  ): Promise<PlacedSubscription[]> {
    const found: PlacedSubscription[] = [];
    for (const id of new Set(subscriptionIds)) {
      for (const shard of candidateShards(id, shards)) {
        const subscription = this.byShard.get(key(feedId, shard))?.get(id);
        if (subscription) {
          found.push({ subscription, shard });
          break;
        }
      }
    }
    return found;
  }

  async putMany(placed: readonly PlacedSubscription[]): Promise<void> {
    for (const { subscription, shard } of placed) {
      this.partition(subscription.feedId, shard).set(subscription.id, subscription);
    }
  }

  async end(feedId: string, subscriptionId: string): Promise<void> {
    const [existing] = await this.findMany(feedId, [subscriptionId], undefined);
    if (existing) {
      this.partition(feedId, existing.shard).set(subscriptionId, { ...existing.subscription, status: 'ended' });
    }
  }

  async rotateSecret({ subscription, shard }: PlacedSubscription, expectedSecret: string): Promise<boolean> {
    const partition = this.partition(subscription.feedId, shard);
    const stored = partition.get(subscription.id);
    if (stored?.status !== 'active' || stored.secret !== expectedSecret) return false;
    const { secret: _s, previousSecret: _p, previousSecretUntil: _u, ...rest } = stored;
    const { secret, previousSecret, previousSecretUntil } = subscription;
    partition.set(subscription.id, {
      ...rest,
      ...(secret !== undefined ? { secret } : {}),
      ...(previousSecret !== undefined ? { previousSecret } : {}),
      ...(previousSecretUntil !== undefined ? { previousSecretUntil } : {}),
    });
    return true;
  }

  async readPage(
    feedId: string,
    shard: number,
    after: PagePosition | undefined,
    limit: number,
  ): Promise<Page<Subscription>> {
    const subscriptions = this.byShard.get(key(feedId, shard))?.values() ?? [];
    return paginate(subscriptions, (s) => s.id, after, limit, this.budget, 'id');
  }

  private partition(feedId: string, shard: number): SortedMap<Subscription> {
    let partition = this.byShard.get(key(feedId, shard));
    if (!partition) this.byShard.set(key(feedId, shard), (partition = new SortedMap()));
    return partition;
  }
}

const key = (feedId: string, shard: number): string => `${feedId}#${shard}`;
