import { digest } from './hash.js';

/**
 * When a feed is fetched next: what its server and its document ask for (HTTP caching headers, RSS `ttl`,
 * `skipHours`, `skipDays`), within the operator's bounds; and how long it waits after failures (exponential
 * back-off with jitter, capped, never giving up).
 */

/** What the publisher's document declares about its own schedule (RSS 2.0 `ttl`, `skipHours`, `skipDays`). */
export interface PublisherSchedule {
  /** RSS `ttl`: minutes the document may be cached before it is fetched again. */
  readonly ttlMinutes?: number;
  /** RSS `skipHours`: hours of the day (0–23, GMT) in which the feed should not be fetched. */
  readonly skipHours?: readonly number[];
  /** RSS `skipDays`: days of the week (0 = Sunday … 6 = Saturday, GMT) in which the feed should not be fetched. */
  readonly skipDays?: readonly number[];
}

/** What one answer says about freshness: `Cache-Control: max-age` (or `Expires` minus `Date`), in seconds. */
export interface FreshnessHint {
  readonly freshForSeconds?: number;
}

/** The operator's bounds on every feed's schedule (`RelaySettings`). */
export interface SchedulePolicy {
  /** The shortest wait between fetches of a healthy feed; 0: at every run. */
  readonly minIntervalSeconds: number;
  /** The longest wait between fetches of a healthy feed, whatever its hints ask for. */
  readonly maxIntervalSeconds: number;
  /**
   * A hint asking for less than this is not worth a write: the feed stays due at the next run (a scheduled
   * crawl every 15 minutes honours a `max-age` of 5 minutes by itself).
   */
  readonly hintFloorSeconds: number;
  /** The longest back-off after failures (and the most a `Retry-After` is honoured). */
  readonly maxBackoffSeconds: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/**
 * When a healthy feed is next due, or `undefined` when it is simply due at the next run (nothing to write).
 * The wait is the longest of the operator's minimum and what the answer and document ask for (hints under
 * `hintFloorSeconds` count as none), at most `maxIntervalSeconds`; a time in a skipped hour or day moves on
 * to the first one allowed (still at most `maxIntervalSeconds` away).
 */
export function nextFetchAfterSuccess(
  now: Date,
  hint: FreshnessHint,
  publisher: PublisherSchedule | undefined,
  policy: SchedulePolicy,
): Date | undefined {
  const asked = Math.max(hint.freshForSeconds ?? 0, (publisher?.ttlMinutes ?? 0) * 60);
  const honoured = asked >= policy.hintFloorSeconds ? asked : 0;
  const wait = Math.min(Math.max(policy.minIntervalSeconds, honoured), policy.maxIntervalSeconds);
  // The next run comes at the earliest one hint floor from now: that is the instant a skip must cover.
  const earliest = new Date(now.getTime() + Math.max(wait, policy.hintFloorSeconds) * 1000);
  const allowed = firstAllowedTime(earliest, publisher);
  const latest = now.getTime() + policy.maxIntervalSeconds * 1000;
  if (allowed.getTime() > earliest.getTime()) return new Date(Math.min(allowed.getTime(), latest));
  return wait > 0 ? new Date(now.getTime() + wait * 1000) : undefined;
}

/** `at`, or the start of the first hour after it that is neither a skipped hour nor in a skipped day (GMT). */
export function firstAllowedTime(at: Date, publisher: PublisherSchedule | undefined): Date {
  const hours = new Set(publisher?.skipHours ?? []);
  const days = new Set(publisher?.skipDays ?? []);
  if (hours.size === 0 && days.size === 0) return at;
  const blocked = (t: Date): boolean => hours.has(t.getUTCHours()) || days.has(t.getUTCDay());
  if (!blocked(at)) return at;
  const hourStart = Math.floor(at.getTime() / (HOUR * 1000)) * HOUR * 1000;
  for (let t = hourStart + HOUR * 1000; t <= at.getTime() + WEEK * 1000; t += HOUR * 1000) {
    if (!blocked(new Date(t))) return new Date(t);
  }
  // Every hour of the week skipped: a document that asks for that is ignored.
  return at;
}

/** The back-off after `errorCount` consecutive failures: 1, 2, 4 … minutes, at most a day. */
export function backoffSeconds(errorCount: number): number {
  return cappedBackoffSeconds(errorCount, DAY);
}

/** The back-off after `errorCount` consecutive failures: 1, 2, 4 … minutes, at most `cap`. */
export function cappedBackoffSeconds(errorCount: number, cap: number): number {
  return Math.min(60 * 2 ** Math.min(Math.max(0, errorCount - 1), 40), cap);
}

/**
 * The wait after the `errorCount`th consecutive failure of a feed: its back-off less up to a quarter, by a
 * jitter derived from the feed and the count (so feeds that failed together, say with their host, do not
 * come back together, and a retry of the same work computes the same time); at least what `Retry-After` asked
 * for; never more than `maxBackoffSeconds`.
 */
export function retryDelaySeconds(
  feedId: string,
  errorCount: number,
  retryAfterSeconds: number | undefined,
  policy: Pick<SchedulePolicy, 'maxBackoffSeconds'>,
): number {
  const base = cappedBackoffSeconds(errorCount, policy.maxBackoffSeconds);
  const jittered = Math.round(base * (1 - 0.25 * jitterOf(feedId, errorCount)));
  return Math.min(Math.max(jittered, Math.ceil(retryAfterSeconds ?? 0)), policy.maxBackoffSeconds);
}

/** A stable fraction in [0, 1) for a feed's `n`th failure. */
export function jitterOf(feedId: string, n: number): number {
  return parseInt(digest(['jitter', feedId, String(n)], 8), 16) / 2 ** 32;
}
