import type { StoredArticle } from '../../domain/article.js';
import type { Subscription } from '../../domain/subscription.js';

export interface Notification {
  /** Stable across retries: the webhook-id. */
  readonly id: string;
  readonly subscription: Subscription;
  readonly feed: { readonly id: string; readonly url: string; readonly title?: string };
  readonly articles: readonly StoredArticle[];
  /** 1 for the first attempt. */
  readonly attempt: number;
}

export type DeliveryResult =
  | { readonly kind: 'delivered' }
  /** Worth another try later (rate limits, server errors, time-outs). */
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterSeconds?: number }
  /** Will not succeed by retrying (a redirect, a client error). */
  | { readonly kind: 'rejected'; readonly reason: string }
  /** The subscriber is gone for good: end the subscription. */
  | { readonly kind: 'ended'; readonly reason: string };

/** Delivers notifications to one kind of sink (`webhook`, …). A new sink is one adapter and one binding. */
export interface NotificationSink {
  readonly kind: string;
  deliver(notification: Notification): Promise<DeliveryResult>;
}
