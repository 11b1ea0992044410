import type { PagePosition } from '../../domain/cursor.js';
import type { Subscription } from '../../domain/subscription.js';
import type { Page } from './page.js';

export interface SubscriptionRepository {
  /** Stores the subscription unless one with its id exists; returns the stored one either way. */
  add(subscription: Subscription): Promise<Subscription>;
  get(feedId: string, subscriptionId: string): Promise<Subscription | undefined>;
  /** Marks the subscription ended (a sink said it is gone); it receives nothing more. */
  end(feedId: string, subscriptionId: string): Promise<void>;
}

/** Reads one feed's subscribers one page at a time. */
export interface SubscriberPageReader {
  readPage(feedId: string, after: PagePosition | undefined, limit: number): Promise<Page<Subscription>>;
}
