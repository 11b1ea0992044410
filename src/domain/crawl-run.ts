import { digest } from './hash.js';

/** One scheduled (or manual) pass over the feed table. */
export interface CrawlRun {
  readonly id: string;
  readonly startedAt: string;
  /** Fetch every feed now, ignoring next-fetch times. */
  readonly force: boolean;
  /** The feed table is scanned as this many parallel relays. */
  readonly segments: number;
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
  readonly notifications: NotificationTallies;
}

export interface CrawlRunSummary extends CrawlRunCounters {
  readonly runId: string;
  /** The scan reached its last page. */
  readonly scanComplete: boolean;
  /** The scan is complete and every feed it dispatched has been fetched (deliveries may still go on). */
  readonly fetchesComplete: boolean;
  /** Every dispatched feed has an outcome and no notification is still in flight. */
  readonly complete: boolean;
}

export function newCrawlRun(now: Date, force: boolean, nonce: string, segments = 1): CrawlRun {
  return {
    id: `run_${now.toISOString().replace(/[-:.]/g, '')}_${nonce}`,
    startedAt: now.toISOString(),
    force,
    segments,
  };
}

/**
 * The counts of one unit of work (a fetch message of many feeds): recorded once, when its step completes,
 * so that redelivered work cannot inflate a run's counters, and without a record per feed.
 */
export interface FetchTally {
  /** Feeds the message carried. */
  readonly feeds: number;
  readonly fetched: number;
  readonly notModified: number;
  /** Failed, or gone (410). */
  readonly failed: number;
  /** Removed, no longer due or changed by someone else by the time the fetch ran. */
  readonly skipped: number;
  readonly newArticles: number;
}

export const EMPTY_FETCH_TALLY: FetchTally = {
  feeds: 0,
  fetched: 0,
  notModified: 0,
  failed: 0,
  skipped: 0,
  newArticles: 0,
};

/** The tally of one more feed's outcome. */
export function tallyOutcome(tally: FetchTally, outcome: FeedRunOutcome, newArticles: number): FetchTally {
  const key = outcome === 'gone' ? 'failed' : outcome;
  return { ...tally, feeds: tally.feeds + 1, [key]: tally[key] + 1, newArticles: tally.newArticles + newArticles };
}

export function addTallies(a: FetchTally, b: FetchTally): FetchTally {
  return {
    feeds: a.feeds + b.feeds,
    fetched: a.fetched + b.fetched,
    notModified: a.notModified + b.notModified,
    failed: a.failed + b.failed,
    skipped: a.skipped + b.skipped,
    newArticles: a.newArticles + b.newArticles,
  };
}

/** Counters are sums of per-message tallies, so redelivery cannot inflate them. */
export function summarize(
  runId: string,
  scan: { readonly complete: boolean; readonly feedsDispatched: number },
  fetches: Iterable<FetchTally>,
  notifications: CrawlRunCounters['notifications'],
): CrawlRunSummary {
  let total = EMPTY_FETCH_TALLY;
  for (const tally of fetches) total = addTallies(total, tally);
  return {
    runId,
    feeds: scan.feedsDispatched,
    fetched: total.fetched,
    notModified: total.notModified,
    failed: total.failed,
    newArticles: total.newArticles,
    notifications: { ...notifications },
    scanComplete: scan.complete,
    fetchesComplete: scan.complete && total.feeds >= scan.feedsDispatched,
    complete: scan.complete && total.feeds >= scan.feedsDispatched && notifications.pending === 0,
  };
}

/**
 * The event a fetch raises for the articles it found new. Its id derives from the feed and the articles it
 * announces, so a retried fetch that commits nothing new raises the same event again, never a second one,
 * and a discovery of other articles is another event.
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

/** The id of the discovery of these articles of this feed: the same for the same articles, in any order. */
export function discoveryIdOf(feedId: string, articleIds: readonly string[]): string {
  return digest(['discovered', feedId, ...[...articleIds].sort()], 32);
}

export function articlesDiscovered(
  runId: string,
  feed: DiscoveredFeed,
  articleIds: readonly string[],
  discoveredAt: string,
): ArticlesDiscovered {
  return {
    type: 'ArticlesDiscovered',
    eventId: discoveryIdOf(feed.id, articleIds),
    runId,
    feedId: feed.id,
    feedUrl: feed.url,
    ...(feed.title ? { feedTitle: feed.title } : {}),
    subscriberShards: feed.subscriberShards ?? 1,
    articleIds: [...articleIds].sort(),
    discoveredAt,
  };
}

/**
 * New articles cut into discoveries: in the order given, `ARTICLES_PER_DISCOVERY` to a part, each with its
 * id. A retry that replays the same committed list cuts it the same way, so every part keeps its id.
 */
export function discoveryParts(
  feedId: string,
  articleIds: readonly string[],
  perDiscovery = ARTICLES_PER_DISCOVERY,
): { readonly eventId: string; readonly articleIds: string[] }[] {
  const ordered = [...new Set(articleIds)];
  const parts: { eventId: string; articleIds: string[] }[] = [];
  for (let start = 0; start < ordered.length; start += perDiscovery) {
    const ids = ordered.slice(start, start + perDiscovery);
    parts.push({ eventId: discoveryIdOf(feedId, ids), articleIds: ids });
  }
  return parts;
}

/** The discoveries of one fetch, as `discoveryParts` cuts its new articles. */
export function discoveriesOf(
  runId: string,
  feed: DiscoveredFeed,
  articleIds: readonly string[],
  discoveredAt: string,
  perDiscovery = ARTICLES_PER_DISCOVERY,
): ArticlesDiscovered[] {
  return discoveryParts(feed.id, articleIds, perDiscovery).map((part) =>
    articlesDiscovered(runId, feed, part.articleIds, discoveredAt),
  );
}

/** One notification of one subscription about one discovery: its id is the webhook-id, stable across retries. */
export function notificationIdFor(subscriptionId: string, eventId: string): string {
  return `msg_${digest(['notification', subscriptionId, eventId], 32)}`;
}
