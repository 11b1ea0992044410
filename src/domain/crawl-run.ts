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
  /** The feed as the fan-out presents it, so that no delivery reads the feed again. */
  readonly feedUrl?: string;
  readonly feedTitle?: string;
  /** Over how many partitions the feed's subscribers are spread (K). */
  readonly subscriberShards?: number;
  readonly articleIds: readonly string[];
  readonly discoveredAt: string;
}

/** The feed a discovery is about, as the event carries it. */
export interface DiscoveredFeed {
  readonly id: string;
  readonly url?: string;
  readonly title?: string;
  readonly subscriberShards?: number;
}

/** Articles per discovery: what one notification carries, and what keeps a message far below 256 KB. */
export const ARTICLES_PER_DISCOVERY = 100;

export function articlesDiscovered(
  runId: string,
  feed: string | DiscoveredFeed,
  articleIds: readonly string[],
  discoveredAt: string,
): ArticlesDiscovered {
  const about: DiscoveredFeed = typeof feed === 'string' ? { id: feed } : feed;
  const sorted = [...articleIds].sort();
  return {
    type: 'ArticlesDiscovered',
    eventId: digest(['discovered', about.id, ...sorted], 32),
    runId,
    feedId: about.id,
    ...(about.url !== undefined ? { feedUrl: about.url } : {}),
    ...(about.title !== undefined ? { feedTitle: about.title } : {}),
    ...(about.subscriberShards !== undefined ? { subscriberShards: about.subscriberShards } : {}),
    articleIds: sorted,
    discoveredAt,
  };
}

/**
 * The discoveries of one fetch: its new articles in the order given, `ARTICLES_PER_DISCOVERY` to an event.
 * A retry that replays the same committed list cuts it the same way, so every part keeps its event id.
 */
export function discoveriesOf(
  runId: string,
  feed: string | DiscoveredFeed,
  articleIds: readonly string[],
  discoveredAt: string,
  perDiscovery = ARTICLES_PER_DISCOVERY,
): ArticlesDiscovered[] {
  const ordered = [...new Set(articleIds)];
  const events: ArticlesDiscovered[] = [];
  for (let start = 0; start < ordered.length; start += perDiscovery) {
    events.push(articlesDiscovered(runId, feed, ordered.slice(start, start + perDiscovery), discoveredAt));
  }
  return events;
}

/** One notification of one subscription about one discovery: its id is the webhook-id, stable across retries. */
export function notificationIdFor(subscriptionId: string, eventId: string): string {
  return `msg_${digest(['notification', subscriptionId, eventId], 32)}`;
}
