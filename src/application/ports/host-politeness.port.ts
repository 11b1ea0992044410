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
}
