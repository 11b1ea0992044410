import { digest } from './hash.js';
import { excerpt, InvalidFeedUrlError } from './errors.js';
import { nextFetchAfterSuccess, retryDelaySeconds, type PublisherSchedule, type SchedulePolicy } from './schedule.js';

export { backoffSeconds } from './schedule.js';

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
  /** When the current streak of failures began (ISO-8601); absent while the feed is healthy. */
  readonly failingSince?: string;
  /** A permanent redirect seen and not yet followed: it moves the feed once a second fetch confirms it. */
  readonly redirect?: PendingRedirect;
  /** What the feed's document declared about its schedule (RSS `ttl`, `skipHours`, `skipDays`). */
  readonly publisherSchedule?: PublisherSchedule;
  readonly lastFetchedAt?: string;
  readonly createdAt: string;
  /**
   * Bumped by every committed change: a fetch commits the feed's new state only if the version is still the
   * one its work was dispatched with (optimistic concurrency), so a removed feed never comes back and two
   * writers never overwrite each other.
   */
  readonly version: number;
  /** Short keys of the articles the feed listed lately (see `recent-articles.ts`): what is not new. */
  readonly seen?: string;
  /**
   * How many shards the feed's subscriptions are spread over (K, a power of two; absent: 1). It only grows,
   * doubled when the subscriber count passes K × subscribers-per-shard, so shards 0..K-1 always hold them all.
   */
  readonly subscriberShards?: number;
  /** Subscriptions ever stored for the feed (ended ones included: they still take room in their shard). */
  readonly subscribers?: number;
  /**
   * The level of the packs that the import which created the feed wrote its subscriptions in (`packLevelFor`);
   * absent when it wrote none, or the feed is older than this: where its subscriptions are is then unknown.
   */
  readonly packLevel?: number;
  /** Whether a subscription has been written as an item of its own since (every write counted by `addSubscribers`). */
  readonly unpacked?: boolean;
  /** The last commit of a fetch: which run made it and what it announced, so a retry re-announces the same. */
  readonly lastCommit?: FeedCommitRecord;
}

/**
 * Where a feed's subscriptions can be, when the feed knows it: in packs of `packLevel` (the import that created
 * the feed wrote them), and, if `unpacked`, also in items of their own (written since). A lookup then reads just
 * those places, without asking each shard its highest level.
 */
export interface SubscriptionLayout {
  readonly packLevel: number;
  readonly unpacked: boolean;
}

/** Where a stored feed's subscriptions are: its K, and their layout when the feed knows it. */
export interface FeedLayout {
  readonly subscriberShards: number;
  /** Absent when the feed does not know where its subscriptions are (it has no `packLevel`). */
  readonly subscriptions?: SubscriptionLayout;
}

export function layoutOf(feed: Pick<Feed, 'subscriberShards' | 'packLevel' | 'unpacked'>): FeedLayout {
  return {
    subscriberShards: feed.subscriberShards ?? 1,
    ...(typeof feed.packLevel === 'number'
      ? { subscriptions: { packLevel: feed.packLevel, unpacked: feed.unpacked === true } }
      : {}),
  };
}

/** What a fetch committed: replayed by a retry of the same work that finds the feed already moved on. */
export interface FeedCommitRecord {
  readonly runId: string;
  /** The version the fetch read; the commit made it `fromVersion + 1`. */
  readonly fromVersion: number;
  readonly outcome: 'fetched' | 'notModified' | 'failed' | 'gone';
  readonly newArticles: number;
  /**
   * The event ids of the commit's discoveries, in order: their articles are stored under them
   * (`ArticleStore.getDiscovery`), so a retry that replays the commit reads them back from there.
   */
  readonly events?: readonly string[];
  /** The article ids of the discoveries, in the order they were cut: recorded by earlier versions only. */
  readonly announced?: readonly string[];
  /**
   * When they were discovered: recorded by earlier versions only; a commit's discoveries are as old as its
   * `lastFetchedAt`, which a retry replays them with.
   */
  readonly discoveredAt?: string;
}

/**
 * A 301/308 to `to`, first seen at `since`. The next fetch that is again moved permanently to the same URL
 * moves the feed there (its id and subscriptions stay); a fetch that is not moved forgets it. `refused` says
 * why a confirmed move was not made (another feed already has that URL).
 */
export interface PendingRedirect {
  readonly to: string;
  readonly since: string;
  readonly refused?: string;
}

/** `gone` feeds answered 410 and are never fetched again until re-added. */
export type FeedStatus = 'active' | 'gone';

/**
 * The longest feed or webhook URL accepted from input, in characters of its normalized (ASCII) form: what
 * browsers, CDNs and servers reliably handle, and far inside what one stored item may hold.
 */
export const MAX_URL_LENGTH = 2048;

/** The longest feed title kept from an import; a longer one is cut (the feed's own title replaces it on fetch). */
export const MAX_TITLE_LENGTH = 1024;

/** The normalized form of a feed URL: a valid absolute http(s) URL, without its fragment. */
export function normalizeFeedUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch (cause) {
    throw new InvalidFeedUrlError(`not an absolute URL: ${excerpt(raw)}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidFeedUrlError(`only http and https feeds are supported, not ${url.protocol} (${excerpt(raw)})`);
  }
  url.hash = '';
  return url.toString();
}

/**
 * A feed URL as given by a user (import, add, subscribe): normalized, and refused when longer than
 * `MAX_URL_LENGTH`, so that a bad line fails the check before anything is written rather than the write.
 */
export function acceptFeedUrl(raw: string): string {
  if (raw.length > MAX_URL_LENGTH * 4) throw tooLong('feed URL', raw.length, raw);
  const url = normalizeFeedUrl(raw);
  if (url.length > MAX_URL_LENGTH) throw tooLong('feed URL', url.length, raw);
  return url;
}

function tooLong(what: string, length: number, raw: string): InvalidFeedUrlError {
  return new InvalidFeedUrlError(
    `the ${what} is ${length} characters long, at most ${MAX_URL_LENGTH} are accepted (${excerpt(raw, 40)})`,
  );
}

/** A title as stored: trimmed, at most `MAX_TITLE_LENGTH` characters (never cutting a surrogate pair), or none. */
export function boundedTitle(title: string | undefined): string | undefined {
  const trimmed = title?.trim();
  if (!trimmed) return undefined;
  if (trimmed.length <= MAX_TITLE_LENGTH) return trimmed;
  const end = /[\uD800-\uDBFF]/.test(trimmed[MAX_TITLE_LENGTH - 1]!) ? MAX_TITLE_LENGTH - 1 : MAX_TITLE_LENGTH;
  return trimmed.slice(0, end);
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

/** A feed added by a user: its URL is checked as `acceptFeedUrl` does, its title bounded. */
export function newFeed(url: string, now: Date, title?: string): Feed {
  const normalized = acceptFeedUrl(url);
  const kept = boundedTitle(title);
  return {
    id: feedIdFor(normalized),
    url: normalized,
    ...(kept ? { title: kept } : {}),
    nextFetchAt: now.toISOString(),
    status: 'active',
    errorCount: 0,
    createdAt: now.toISOString(),
    version: 0,
    subscribers: 0,
  };
}

export function isDue(feed: Feed, now: Date): boolean {
  return feed.status === 'active' && Date.parse(feed.nextFetchAt) <= now.getTime();
}

/** The result of one fetch, as the domain sees it (the HTTP details stay in the adapter). */
export type FetchOutcome =
  | {
      readonly kind: 'fetched';
      readonly etag?: string;
      readonly lastModified?: string;
      readonly title?: string;
      /** Where a 301/308 said the feed now lives. */
      readonly movedTo?: string;
      /** How long the answer may be reused (`Cache-Control: max-age`, `Expires`), in seconds. */
      readonly freshForSeconds?: number;
      /** What the document declared about its schedule; absent: nothing. */
      readonly publisherSchedule?: PublisherSchedule;
    }
  | {
      readonly kind: 'notModified';
      readonly etag?: string;
      readonly lastModified?: string;
      readonly movedTo?: string;
      readonly freshForSeconds?: number;
    }
  | { readonly kind: 'gone'; readonly message?: string }
  | {
      readonly kind: 'failed';
      readonly code: string;
      readonly message: string;
      readonly retryAfterSeconds?: number;
      /** The host as a whole asked to slow down or did not answer: every feed on it should wait. */
      readonly hostWide?: boolean;
    };

/** The part of a feed that a fetch reads: what its work message carries, so that a 304 needs no read. */
export type FetchableFeed = Pick<
  Feed,
  | 'id'
  | 'url'
  | 'title'
  | 'etag'
  | 'lastModified'
  | 'nextFetchAt'
  | 'errorCount'
  | 'version'
  | 'seen'
  | 'subscriberShards'
  | 'failingSince'
  | 'redirect'
  | 'publisherSchedule'
> & {
  /**
   * Set by a resume on a feed this run already committed (its work was lost after the commit): the fetch is not
   * made again, the commit's announcement is replayed.
   */
  readonly committed?: true;
  /**
   * Set instead of `seen` when the feed's recent-article set is too long to carry (`MAX_CARRIED_SEEN`): a fetch
   * that must commit reads it from the feed table first.
   */
  readonly seenInTable?: true;
};

/**
 * The longest recent-article set a work message carries: 100 keys, a young feed's. A longer one (a feed's set
 * fills up to 200 keys, 2.4 KB, within weeks) stays in the table and is read only by a fetch that must commit, so
 * that a fetch message of 25 feeds stays within one 64 KB SQS chunk, whatever the feeds list. A 304 needs no read.
 */
export const MAX_CARRIED_SEEN = 1200;

export function fetchableOf(feed: Feed): FetchableFeed {
  const { id, url, title, etag, lastModified, nextFetchAt, errorCount, version, seen, subscriberShards } = feed;
  const { failingSince, redirect, publisherSchedule } = feed;
  return {
    id,
    url,
    nextFetchAt,
    errorCount,
    version,
    ...(title !== undefined ? { title } : {}),
    ...(etag !== undefined ? { etag } : {}),
    ...(lastModified !== undefined ? { lastModified } : {}),
    ...(seen === undefined ? {} : seen.length > MAX_CARRIED_SEEN ? { seenInTable: true as const } : { seen }),
    ...(subscriberShards !== undefined ? { subscriberShards } : {}),
    ...(failingSince !== undefined ? { failingSince } : {}),
    ...(redirect !== undefined ? { redirect } : {}),
    ...(publisherSchedule !== undefined ? { publisherSchedule } : {}),
  };
}

/**
 * What a fetch of the feed in run `runId` needs. A feed this run has already committed (a page scanned twice
 * after a crash, a resume) carries the version that commit started from and `committed`: its fetch is not made
 * again, and the commit's announcement is replayed, whichever copy of the work gets there first.
 */
export function fetchableIn(runId: string, feed: Feed): FetchableFeed {
  const work = fetchableOf(feed);
  return feed.lastCommit?.runId === runId ? { ...work, version: feed.lastCommit.fromVersion, committed: true } : work;
}

/**
 * Whether run `runId` fetches the feed: an active feed that is due (or any active feed when forced), and always
 * one the run has already committed, so that a page scanned again cuts its work the same way.
 */
export function isDueIn(runId: string, feed: Feed, now: Date, force: boolean): boolean {
  if (feed.status !== 'active') return feed.lastCommit?.runId === runId;
  return force || isDue(feed, now) || feed.lastCommit?.runId === runId;
}

/** The state a fetch commits: every attribute a fetch may change; `lastError` absent means cleared. */
export interface FeedUpdate {
  readonly url: string;
  readonly title?: string;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly seen?: string;
  readonly nextFetchAt: string;
  readonly status: FeedStatus;
  readonly errorCount: number;
  readonly lastError?: Feed['lastError'];
  readonly failingSince?: string;
  readonly redirect?: PendingRedirect;
  readonly publisherSchedule?: PublisherSchedule;
  readonly lastFetchedAt?: string;
  readonly lastCommit?: FeedCommitRecord;
}

/** Every attribute of `FeedUpdate`: what a commit sets, or removes when the update leaves it out. */
export const FEED_UPDATE_ATTRIBUTES: readonly (keyof FeedUpdate)[] = [
  'url',
  'title',
  'etag',
  'lastModified',
  'seen',
  'nextFetchAt',
  'status',
  'errorCount',
  'lastError',
  'failingSince',
  'redirect',
  'publisherSchedule',
  'lastFetchedAt',
  'lastCommit',
];

/** What a fetch may change of a feed besides its outcome. */
export interface FetchChanges {
  /** The recent-article keys after this fetch (only when the document was read). */
  readonly seen?: string;
  /** The operator's bounds on the schedule; absent: due at every run, back-off capped at a day. */
  readonly policy?: SchedulePolicy;
  /** Why a move this fetch confirms cannot be made (another feed already has the URL); absent: it can. */
  readonly moveRefused?: string;
}

/** Due at every run unless hints ask for longer; back-off of at most a day. */
export const DEFAULT_SCHEDULE_POLICY: SchedulePolicy = {
  minIntervalSeconds: 0,
  maxIntervalSeconds: 24 * 60 * 60,
  hintFloorSeconds: 0,
  maxBackoffSeconds: 24 * 60 * 60,
};

/** Whether a permanent redirect to `to` confirms the one the feed remembers, so that this fetch moves it. */
export function confirmsMove(feed: Pick<FetchableFeed, 'redirect'>, to: string | undefined): to is string {
  return to !== undefined && feed.redirect?.to === to && feed.redirect.refused === undefined;
}

/** Where the feed lives after a fetch that ended at `movedTo` (or was not moved), and what it remembers. */
function followRedirect(
  feed: FetchableFeed,
  movedTo: string | undefined,
  at: string,
  refused: string | undefined,
): { url: string; redirect?: PendingRedirect } {
  if (movedTo === undefined || movedTo === feed.url) return { url: feed.url };
  if (feed.redirect?.to !== movedTo) return { url: feed.url, redirect: { to: movedTo, since: at } };
  if (feed.redirect.refused !== undefined) return { url: feed.url, redirect: feed.redirect };
  if (refused !== undefined) return { url: feed.url, redirect: { ...feed.redirect, refused } };
  return { url: movedTo };
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The feed after a fetch: validators kept, schedule and error state moved on, a permanent move followed
 * once confirmed. `changed` is false when the fetch leaves nothing worth a write: a 304 of a healthy feed
 * that is due at every run changes nothing the crawler reads, so it costs no request.
 */
export function afterFetch(
  feed: FetchableFeed,
  outcome: FetchOutcome,
  now: Date,
  changes: FetchChanges = {},
): { update: FeedUpdate; changed: boolean } {
  const at = now.toISOString();
  const policy = changes.policy ?? DEFAULT_SCHEDULE_POLICY;
  const kept = {
    url: feed.url,
    ...(feed.title !== undefined ? { title: feed.title } : {}),
    ...(feed.etag !== undefined ? { etag: feed.etag } : {}),
    ...(feed.lastModified !== undefined ? { lastModified: feed.lastModified } : {}),
    ...(feed.seen !== undefined ? { seen: feed.seen } : {}),
    ...(feed.redirect !== undefined ? { redirect: feed.redirect } : {}),
    ...(feed.publisherSchedule !== undefined ? { publisherSchedule: feed.publisherSchedule } : {}),
  };
  switch (outcome.kind) {
    case 'fetched':
    case 'notModified': {
      const publisherSchedule = outcome.kind === 'fetched' ? outcome.publisherSchedule : feed.publisherSchedule;
      const next = nextFetchAfterSuccess(now, { freshForSeconds: outcome.freshForSeconds }, publisherSchedule, policy);
      const { url, redirect } = followRedirect(feed, outcome.movedTo, at, changes.moveRefused);
      const { redirect: _pending, publisherSchedule: _declared, ...rest } = kept;
      const update: FeedUpdate = {
        ...rest,
        url,
        ...(redirect !== undefined ? { redirect } : {}),
        ...(publisherSchedule !== undefined ? { publisherSchedule } : {}),
        ...(outcome.kind === 'fetched' && outcome.title ? { title: outcome.title } : {}),
        ...(outcome.etag !== undefined ? { etag: outcome.etag } : {}),
        ...(outcome.lastModified !== undefined ? { lastModified: outcome.lastModified } : {}),
        ...(changes.seen !== undefined ? { seen: changes.seen } : {}),
        status: 'active',
        errorCount: 0,
        nextFetchAt: next !== undefined ? next.toISOString() : feed.nextFetchAt,
        lastFetchedAt: at,
      };
      const changed =
        next !== undefined ||
        update.seen !== feed.seen ||
        update.title !== feed.title ||
        feed.errorCount !== 0 ||
        feed.failingSince !== undefined ||
        update.url !== feed.url ||
        update.etag !== feed.etag ||
        update.lastModified !== feed.lastModified ||
        !sameJson(update.redirect, feed.redirect) ||
        !sameJson(update.publisherSchedule, feed.publisherSchedule);
      return { update, changed };
    }
    case 'gone':
      return {
        update: {
          ...kept,
          nextFetchAt: feed.nextFetchAt,
          status: 'gone',
          errorCount: feed.errorCount,
          lastError: { code: 'gone', message: outcome.message ?? 'the server answered 410 Gone', at },
          lastFetchedAt: at,
        },
        changed: true,
      };
    case 'failed': {
      const errorCount = feed.errorCount + 1;
      const wait = retryDelaySeconds(feed.id, errorCount, outcome.retryAfterSeconds, policy);
      return {
        update: {
          ...kept,
          status: 'active',
          errorCount,
          lastError: { code: outcome.code, message: outcome.message, at },
          failingSince: feed.failingSince ?? at,
          nextFetchAt: new Date(now.getTime() + wait * 1000).toISOString(),
          lastFetchedAt: at,
        },
        changed: true,
      };
    }
  }
}
