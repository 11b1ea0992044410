import type { FetchOutcome } from './feed.js';
import { retryDelaySeconds, type SchedulePolicy } from './schedule.js';

/**
 * Politeness per host: a host that asks to slow down (429, 503) or stops answering makes every feed on it
 * wait, not only the one it answered; a few hosts get a configured limit of their own.
 */

/** The host a feed is fetched from, as politeness counts it: lower-case name and any explicit port. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return url;
  }
}

/** A host's request to be left alone until `until` (ISO-8601), and why. */
export interface HostHold {
  readonly host: string;
  readonly until: string;
  readonly reason: string;
}

/** The failures that speak for the whole host rather than for one feed on it. */
const HOST_WIDE_CODES: ReadonlySet<string> = new Set(['rate_limited', 'timeout', 'connect_error']);

/** Whether a fetch's outcome is the host asking every feed on it to wait. */
export function concernsHost(outcome: FetchOutcome): outcome is Extract<FetchOutcome, { kind: 'failed' }> {
  return outcome.kind === 'failed' && (outcome.hostWide === true || HOST_WIDE_CODES.has(outcome.code));
}

/**
 * The longest a host is held without a `Retry-After`: one failing feed on a large shared host must not keep
 * all the others waiting for hours. The failing feed's own back-off decides how often it probes the host again.
 */
export const MAX_HOST_HOLD_SECONDS = 15 * 60;

/**
 * How long a host is left alone after it asked to slow down or stopped answering: what its `Retry-After`
 * says (within the policy's back-off cap), else the back-off of the failure count of the feed that found out
 * (so a host that keeps failing waits longer each time), at most `MAX_HOST_HOLD_SECONDS`.
 */
export function hostHoldAfter(
  host: string,
  outcome: Extract<FetchOutcome, { kind: 'failed' }>,
  errorCount: number,
  now: Date,
  policy: Pick<SchedulePolicy, 'maxBackoffSeconds'>,
): HostHold {
  const seconds =
    outcome.retryAfterSeconds !== undefined
      ? Math.min(Math.ceil(outcome.retryAfterSeconds), policy.maxBackoffSeconds)
      : Math.min(retryDelaySeconds(host, errorCount, undefined, policy), MAX_HOST_HOLD_SECONDS);
  return {
    host,
    until: new Date(now.getTime() + Math.max(1, seconds) * 1000).toISOString(),
    reason: `${outcome.code}: ${outcome.message}`,
  };
}

/** Whether a hold still keeps its host's feeds waiting at `now`. */
export function isHeld(hold: Pick<HostHold, 'until'> | undefined, now: Date): boolean {
  return hold !== undefined && Date.parse(hold.until) > now.getTime();
}
