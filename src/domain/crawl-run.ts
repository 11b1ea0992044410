import { digest } from './hash.js';

/** One scheduled (or manual) pass over the feed table. */
export interface CrawlRun {
  readonly id: string;
  readonly startedAt: string;
  /** Fetch every feed now, ignoring next-fetch times. */
  readonly force: boolean;
}

/** What became of one feed in one run. */
/** `skipped`: dispatched, but removed or no longer due by the time its fetch ran. */
export type FeedRunOutcome = 'fetched' | 'notModified' | 'failed' | 'gone' | 'skipped';

/** What became of one notification: delivered, failed for good, or waiting for a retry. */
export type DeliveryState = 'delivered' | 'failed' | 'pending';

/** How many of a run's notifications are in each state. */
export type NotificationTallies = { readonly [state in DeliveryState]: number };

export interface CrawlRunCounters {
  /** Feeds the scan dispatched. */
  readonly feeds: number;
  readonly fetched: number;
  readonly notModified: number;
  readonly failed: number;
  readonly newArticles: number;
  readonly notifications: { readonly delivered: number; readonly failed: number; readonly pending: number };
}

export interface CrawlRunSummary extends CrawlRunCounters {
  readonly runId: string;
  /** The scan reached its last page. */
  readonly scanComplete: boolean;
  /** Every dispatched feed has an outcome and no notification is still in flight. */
  readonly complete: boolean;
}

export function newCrawlRun(now: Date, force: boolean, nonce: string): CrawlRun {
  return { id: `run_${now.toISOString().replace(/[-:.]/g, '')}_${nonce}`, startedAt: now.toISOString(), force };
}

/**
 * Counters are computed from per-feed outcome records and the delivery steps' tallies (each step completes
 * once), so redelivery cannot inflate them.
 */
export function summarize(
  runId: string,
  scan: { readonly complete: boolean; readonly feedsDispatched: number },
  feedOutcomes: Iterable<{ readonly outcome: FeedRunOutcome; readonly newArticles: number }>,
  notifications: NotificationTallies,
): CrawlRunSummary {
  let fetched = 0;
  let notModified = 0;
  let failed = 0;
  let newArticles = 0;
  let outcomes = 0;
  for (const { outcome, newArticles: count } of feedOutcomes) {
    outcomes++;
    newArticles += count;
    if (outcome === 'fetched') fetched++;
    else if (outcome === 'notModified') notModified++;
    else if (outcome !== 'skipped') failed++;
  }
  return {
    runId,
    feeds: scan.feedsDispatched,
    fetched,
    notModified,
    failed,
    newArticles,
    notifications: { ...notifications },
    scanComplete: scan.complete,
    complete: scan.complete && outcomes >= scan.feedsDispatched && notifications.pending === 0,
  };
}

/**
 * The event a fetch raises for the articles it stored first. Its id derives from run and feed (and the part,
 * see `discoveriesOf`), so a retried fetch raises the same event again rather than a second one.
 */
export interface ArticlesDiscovered {
  readonly type: 'ArticlesDiscovered';
  readonly eventId: string;
  readonly runId: string;
  readonly feedId: string;
  /** The feed as the webhook body names it, so that the fan-out never reads the feed table. */
  readonly feedUrl: string;
  readonly feedTitle?: string;
  /** K: the fan-out scans subscriber shards 0..K-1 (see `Feed.subscriberShards`). */
  readonly subscriberShards: number;
  readonly articleIds: readonly string[];
  readonly discoveredAt: string;
}

/** What a discovery needs to know of its feed: a `Feed` is one. */
export interface DiscoveredFeed {
  readonly id: string;
  readonly url: string;
  readonly title?: string;
  readonly subscriberShards?: number;
}

/** Articles per discovery: what one notification carries, and what keeps a message far below 256 KB. */
export const ARTICLES_PER_DISCOVERY = 100;

export function articlesDiscovered(
  runId: string,
  feed: DiscoveredFeed,
  articleIds: readonly string[],
  discoveredAt: string,
  part = 0,
): ArticlesDiscovered {
  const feedId = feed.id;
  return {
    type: 'ArticlesDiscovered',
    eventId: digest(part === 0 ? ['discovered', runId, feedId] : ['discovered', runId, feedId, String(part)], 32),
    runId,
    feedId,
    feedUrl: feed.url,
    ...(feed.title ? { feedTitle: feed.title } : {}),
    subscriberShards: feed.subscriberShards ?? 1,
    articleIds: [...articleIds].sort(),
    discoveredAt,
  };
}

/**
 * The discoveries of one fetch: its new articles in id order, `ARTICLES_PER_DISCOVERY` to an event. A retry
 * that finds the same new articles cuts them the same way, so every part keeps its event id.
 */
export function discoveriesOf(
  runId: string,
  feed: DiscoveredFeed,
  articleIds: readonly string[],
  discoveredAt: string,
  perDiscovery = ARTICLES_PER_DISCOVERY,
): ArticlesDiscovered[] {
  const sorted = [...new Set(articleIds)].sort();
  const events: ArticlesDiscovered[] = [];
  for (let start = 0, part = 0; start < sorted.length; start += perDiscovery, part++) {
    events.push(articlesDiscovered(runId, feed, sorted.slice(start, start + perDiscovery), discoveredAt, part));
  }
  return events;
}

/** One notification of one subscription about one discovery: its id is the webhook-id, stable across retries. */
export function notificationIdFor(subscriptionId: string, eventId: string): string {
  return `msg_${digest(['notification', subscriptionId, eventId], 32)}`;
}
