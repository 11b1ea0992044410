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

/**
 * Where a run stands, step by step: what its scan, fetches and fan-outs have done against what they started.
 * What was started and is not done is in flight, or lost (a resume sends it again).
 */
export interface RunProgress {
  readonly scan: { readonly segments: number; readonly segmentsDone: number; readonly pages: number };
  /** Fetch messages the scan dispatched, and how many of them are done. */
  readonly fetches: { readonly batches: number; readonly done: number };
  /** Discoveries announced, the fan-out chains they start (one per subscriber shard), and how many have ended. */
  readonly fanOut: { readonly discoveries: number; readonly chains: number; readonly chainsDone: number };
  /** Deliver messages the fan-outs dispatched (first attempts), and how many of them are done. */
  readonly deliveries: { readonly batches: number; readonly done: number; readonly recipients: number };
}

/** What a run's fan-outs have done so far (see `RunProgress`). */
export interface FanOutProgress {
  readonly discoveries: number;
  readonly chains: number;
  readonly chainsDone: number;
  readonly deliveryBatches: number;
  readonly deliveryBatchesDone: number;
  readonly recipients: number;
}

const NO_FAN_OUT: FanOutProgress = {
  discoveries: 0,
  chains: 0,
  chainsDone: 0,
  deliveryBatches: 0,
  deliveryBatchesDone: 0,
  recipients: 0,
};

/** Where a run's scan stands: its segments, those that reached their last page, the pages done, and the fetches. */
export interface ScanProgress {
  readonly complete: boolean;
  readonly feedsDispatched: number;
  readonly segments?: number;
  readonly segmentsDone?: number;
  readonly pages?: number;
  /** Fetch messages the scan's pages dispatched. */
  readonly batches?: number;
}

export interface CrawlRunSummary extends CrawlRunCounters {
  readonly runId: string;
  /** The scan reached its last page. */
  readonly scanComplete: boolean;
  /** The scan is complete and every feed it dispatched has been fetched (deliveries may still go on). */
  readonly fetchesComplete: boolean;
  /**
   * Every dispatched feed has an outcome, every announced discovery's fan-out has ended, every deliver message
   * it sent is done and no notification waits for a retry.
   */
  readonly complete: boolean;
  readonly progress: RunProgress;
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
  scan: ScanProgress,
  fetches: Iterable<FetchTally>,
  notifications: CrawlRunCounters['notifications'],
  fanOut: FanOutProgress = NO_FAN_OUT,
): CrawlRunSummary {
  let total = EMPTY_FETCH_TALLY;
  let done = 0;
  for (const tally of fetches) {
    total = addTallies(total, tally);
    done++;
  }
  // A scan that does not count its fetch messages (a record of an older version) is judged by its feeds.
  const fetchesComplete =
    scan.complete && (scan.batches !== undefined ? done >= scan.batches : total.feeds >= scan.feedsDispatched);
  const fanOutsComplete = fanOut.chainsDone >= fanOut.chains && fanOut.deliveryBatchesDone >= fanOut.deliveryBatches;
  return {
    runId,
    feeds: scan.feedsDispatched,
    fetched: total.fetched,
    notModified: total.notModified,
    failed: total.failed,
    newArticles: total.newArticles,
    notifications: { ...notifications },
    scanComplete: scan.complete,
    fetchesComplete,
    complete: fetchesComplete && fanOutsComplete && notifications.pending === 0,
    progress: {
      scan: {
        segments: scan.segments ?? 1,
        segmentsDone: scan.segmentsDone ?? (scan.complete ? 1 : 0),
        pages: scan.pages ?? 0,
      },
      fetches: { batches: scan.batches ?? done, done },
      fanOut: { discoveries: fanOut.discoveries, chains: fanOut.chains, chainsDone: fanOut.chainsDone },
      deliveries: {
        batches: fanOut.deliveryBatches,
        done: fanOut.deliveryBatchesDone,
        recipients: fanOut.recipients,
      },
    },
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

/** One notification of one subscription about one discovery: its id is the webhook-id, stable across retries. */
export function notificationIdFor(subscriptionId: string, eventId: string): string {
  return `msg_${digest(['notification', subscriptionId, eventId], 32)}`;
}
