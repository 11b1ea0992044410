import { digest } from './hash.js';
import { InvalidFeedUrlError } from './errors.js';

/** What the crawler remembers of one feed between fetches. */
export interface Feed {
  readonly id: string;
  readonly url: string;
  readonly title?: string;
  /** Validators for a conditional GET. */
  readonly etag?: string;
  readonly lastModified?: string;
  /** ISO-8601 instant before which the scheduled scan skips this feed (unless forced). */
  readonly nextFetchAt: string;
  readonly status: FeedStatus;
  /** Consecutive failed fetches; drives the back-off. */
  readonly errorCount: number;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: string };
  readonly lastFetchedAt?: string;
  readonly createdAt: string;
  /**
   * How many shards the feed's subscriptions are spread over (K, a power of two; absent: 1). It only grows,
   * doubled when the subscriber count passes K × subscribers-per-shard, so shards 0..K-1 always hold them all.
   */
  readonly subscriberShards?: number;
  /** Subscriptions ever stored for the feed (ended ones included: they still take room in their shard). */
  readonly subscribers?: number;
}

/** `gone` feeds answered 410 and are never fetched again until re-added. */
export type FeedStatus = 'active' | 'gone';

/** The normalized form of a feed URL: a valid absolute http(s) URL, without its fragment. */
export function normalizeFeedUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch (cause) {
    throw new InvalidFeedUrlError(`not an absolute URL: ${JSON.stringify(raw)}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidFeedUrlError(`only http and https feeds are supported, not ${url.protocol} (${raw})`);
  }
  url.hash = '';
  return url.toString();
}

const feedIds = new Map<string, string>();

/** A feed's identity is derived from the URL it was added with and stays when the feed moves. */
export function feedIdFor(url: string): string {
  // Remembered: a bulk import names the same few feeds on thousands of lines.
  let id = feedIds.get(url);
  if (id === undefined) {
    id = digest(['feed', normalizeFeedUrl(url)], 24);
    if (feedIds.size >= 10_000) feedIds.clear();
    feedIds.set(url, id);
  }
  return id;
}

export function newFeed(url: string, now: Date, title?: string): Feed {
  const normalized = normalizeFeedUrl(url);
  return {
    id: feedIdFor(normalized),
    url: normalized,
    ...(title ? { title } : {}),
    nextFetchAt: now.toISOString(),
    status: 'active',
    errorCount: 0,
    createdAt: now.toISOString(),
  };
}

export function isDue(feed: Feed, now: Date): boolean {
  return feed.status === 'active' && Date.parse(feed.nextFetchAt) <= now.getTime();
}

/** The back-off after `errorCount` consecutive failures: 1, 2, 4 … minutes, at most a day. */
export function backoffSeconds(errorCount: number): number {
  return Math.min(60 * 2 ** Math.max(0, errorCount - 1), 24 * 60 * 60);
}

/** The result of one fetch, as the domain sees it (the HTTP details stay in the adapter). */
export type FetchOutcome =
  | {
      readonly kind: 'fetched';
      readonly etag?: string;
      readonly lastModified?: string;
      readonly title?: string;
      readonly movedTo?: string;
    }
  | { readonly kind: 'notModified'; readonly etag?: string; readonly lastModified?: string; readonly movedTo?: string }
  | { readonly kind: 'gone' }
  | {
      readonly kind: 'failed';
      readonly code: string;
      readonly message: string;
      readonly retryAfterSeconds?: number;
    };

/** The feed after a fetch: validators kept, schedule and error state moved on, a permanent move followed. */
export function afterFetch(feed: Feed, outcome: FetchOutcome, now: Date): Feed {
  const at = now.toISOString();
  switch (outcome.kind) {
    case 'fetched':
    case 'notModified': {
      const { lastError: _dropped, ...rest } = feed;
      return {
        ...rest,
        url: outcome.movedTo ?? feed.url,
        ...(outcome.kind === 'fetched' && outcome.title ? { title: outcome.title } : {}),
        ...(outcome.etag !== undefined ? { etag: outcome.etag } : {}),
        ...(outcome.lastModified !== undefined ? { lastModified: outcome.lastModified } : {}),
        errorCount: 0,
        nextFetchAt: at,
        lastFetchedAt: at,
      };
    }
    case 'gone':
      return { ...feed, status: 'gone', lastFetchedAt: at };
    case 'failed': {
      const errorCount = feed.errorCount + 1;
      const wait = Math.max(outcome.retryAfterSeconds ?? 0, backoffSeconds(errorCount));
      return {
        ...feed,
        errorCount,
        lastError: { code: outcome.code, message: outcome.message, at },
        nextFetchAt: new Date(now.getTime() + wait * 1000).toISOString(),
        lastFetchedAt: at,
      };
    }
  }
}
