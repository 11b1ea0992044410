import type { PagePosition } from '../../domain/cursor.js';
import type { Subscription } from '../../domain/subscription.js';
import type { Page } from '../../application/ports/page.js';
import type { SubscriberPageReader, SubscriptionRepository } from '../../application/ports/subscription-store.port.js';
import { fullPages, paginate, SortedMap, type PageBudget } from './paginate.js';

/** Subscriptions in memory, grouped by feed and paged by subscription id like a DynamoDB query. */
export class InMemorySubscriptionStore implements SubscriptionRepository, SubscriberPageReader {
  private readonly byFeed = new Map<string, SortedMap<Subscription>>();

  constructor(private readonly budget: PageBudget = fullPages) {}

  async add(subscription: Subscription): Promise<Subscription> {
    const feed = this.feed(subscription.feedId);
    const existing = feed.get(subscription.id);
    if (existing && existing.status === 'active') return existing;
    feed.set(subscription.id, subscription);
    return subscription;
  }

  async get(feedId: string, subscriptionId: string): Promise<Subscription | undefined> {
    return this.byFeed.get(feedId)?.get(subscriptionId);
  }

  async end(feedId: string, subscriptionId: string): Promise<void> {
    const feed = this.byFeed.get(feedId);
    const existing = feed?.get(subscriptionId);
    if (feed && existing) feed.set(subscriptionId, { ...existing, status: 'ended' });
  }

  async readPage(feedId: string, after: PagePosition | undefined, limit: number): Promise<Page<Subscription>> {
    const subscriptions = this.byFeed.get(feedId)?.values() ?? [];
    return paginate(subscriptions, (s) => s.id, after, limit, this.budget, 'id');
  }

  private feed(feedId: string): SortedMap<Subscription> {
    let feed = this.byFeed.get(feedId);
    if (!feed) this.byFeed.set(feedId, (feed = new SortedMap()));
    return feed;
  }
}
