import type { HostHold } from '../../domain/host.js';
import { isHeld } from '../../domain/host.js';
import { turnWindows, type HostPoliteness } from '../../application/ports/host-politeness.port.js';

/** Host holds in memory: the latest-ending one per host. */
export class InMemoryHostPoliteness implements HostPoliteness {
  private readonly holds = new Map<string, HostHold>();
  /** Reads made (one per `holdsOn` call), as a store would count its requests. */
  reads = 0;

  async holdsOn(hosts: readonly string[], now: Date): Promise<ReadonlyMap<string, HostHold>> {
    this.reads++;
    const found = new Map<string, HostHold>();
    for (const host of new Set(hosts)) {
      const hold = this.holds.get(host);
      if (hold !== undefined && isHeld(hold, now)) found.set(host, hold);
    }
    return found;
  }

  async hold(hold: HostHold): Promise<void> {
    const current = this.holds.get(hold.host);
    if (current !== undefined && Date.parse(current.until) >= Date.parse(hold.until)) return;
    this.holds.set(hold.host, hold);
  }

  private readonly turns = new Map<string, number>();

  async takeTurn(host: string, starts: number, perSeconds: number, at: Date, until: Date): Promise<Date | undefined> {
    for (const window of turnWindows(perSeconds, at, until)) {
      const key = `${host}#${perSeconds}#${window}`;
      const taken = this.turns.get(key) ?? 0;
      if (taken >= starts) continue;
      this.turns.set(key, taken + 1);
      return new Date(Math.max(at.getTime(), window * perSeconds * 1000));
    }
    return undefined;
  }

  /** Every hold recorded, in force or not (to inspect in a test). */
  all(): HostHold[] {
    return [...this.holds.values()];
  }
}
