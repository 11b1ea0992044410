import type { HostHold } from '../../domain/host.js';

/**
 * Per-host "not before" records shared by every worker: a host that asked to slow down (or stopped answering)
 * holds back every feed on it, whichever worker fetches them. Read once per fetch message for all its hosts;
 * written only when a host misbehaves, so a healthy run pays nothing per feed.
 */
export interface HostPoliteness {
  /** The holds still in force at `now` on any of `hosts` (at most 100), by host; hosts without one are absent. */
  holdsOn(hosts: readonly string[], now: Date): Promise<ReadonlyMap<string, HostHold>>;
  /** Records a hold; one already recorded that lasts longer is kept (a hold never shortens another). */
  hold(hold: HostHold): Promise<void>;
  /**
   * Takes one of the `starts` fetch starts a rate-limited host allows per `perSeconds` window, shared by every
   * worker: in the window that holds `at`, else in the first later one with room that opens before `until`.
   * Answers when the window taken opens (`at` itself for the current one), or undefined when none has room.
   */
  takeTurn(host: string, starts: number, perSeconds: number, at: Date, until: Date): Promise<Date | undefined>;
}

/** The most windows a turn is looked for in, so that a crowded host costs a bounded number of requests. */
export const MAX_TURN_WINDOWS = 8;

/** The windows a turn of `perSeconds` may be taken in, from the one holding `at` to the last opening before `until`. */
export function turnWindows(perSeconds: number, at: Date, until: Date): number[] {
  const length = perSeconds * 1000;
  const first = Math.floor(at.getTime() / length);
  const last = Math.min(Math.floor(until.getTime() / length), first + MAX_TURN_WINDOWS - 1);
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}
