import type { Feed } from '../domain/feed.js';
import type { Subscription } from '../domain/subscription.js';

/** A feed as commands show it (and as the management API answers it). */
export function describeFeed(feed: Feed) {
  return {
    id: feed.id,
    url: feed.url,
    ...(feed.title ? { title: feed.title } : {}),
    status: feed.status,
    ...(feed.etag ? { etag: feed.etag } : {}),
    ...(feed.lastModified ? { lastModified: feed.lastModified } : {}),
    ...(feed.lastFetchedAt ? { lastFetchedAt: feed.lastFetchedAt } : {}),
    nextFetchAt: feed.nextFetchAt,
    errorCount: feed.errorCount,
    ...(feed.lastError ? { lastError: feed.lastError } : {}),
    ...(feed.failingSince ? { failingSince: feed.failingSince } : {}),
    ...(feed.redirect ? { redirect: feed.redirect } : {}),
  };
}

export type FeedView = ReturnType<typeof describeFeed>;

/** A subscription as commands show it: never its secret, except `subscribe` once, at creation. */
export function describeSubscription(s: Subscription): {
  id: string;
  feed: string;
  feedId: string;
  webhook?: string;
  sqs?: string;
  status: string;
  createdAt: string;
} {
  return {
    id: s.id,
    feed: s.feedUrl,
    feedId: s.feedId,
    ...(s.sink.kind === 'webhook' ? { webhook: s.sink.url } : { sqs: s.sink.url }),
    status: s.status,
    createdAt: s.createdAt,
  };
}

/** `status` is absent only when a remote API did not say it. */
export type SubscriptionView = Omit<ReturnType<typeof describeSubscription>, 'status'> & { status?: string };
