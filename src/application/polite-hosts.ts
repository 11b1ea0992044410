import { inject, injectable, optional } from 'inversify';
import type { FetchOutcome } from '../domain/feed.js';
import { concernsHost, hostHoldAfter, hostOf, isHeld, type HostHold } from '../domain/host.js';
import { HostGate } from './host-limits.js';
import type { Clock } from './ports/clock.port.js';
import type { HostPoliteness } from './ports/host-politeness.port.js';
import { schedulePolicyOf, type RelaySettings } from './settings.js';
import { TOKENS } from './tokens.js';

/** The longest a fetch waits for its turn of a host's configured rate before its feed is left for a later run. */
const MAX_HOST_WAIT_MS = 20_000;

/** Tells the host's politeness what a fetch found, so that a host that misbehaved is held for everyone. */
export type ReportOutcome = (outcome: FetchOutcome, now: Date) => Promise<void>;

/**
 * Politeness per host, for the fetches of one environment: the holds of a message's hosts are read once per
 * message (one request for all of them, none for hosts this environment already knows are held); a feed on a
 * held host is not fetched (`deferred`: it stays due). A host that asks to slow down (429, 503) or stops
 * answering is held for every worker with one write. Hosts with a configured limit wait for their turn.
 * Without a `HostPoliteness` store, holds stay within the environment.
 */
@injectable()
export class PoliteHosts {
  private readonly gate: HostGate;
  /** Holds this environment knows of (read or made), so that its later messages need not learn them again. */
  private readonly known = new Map<string, HostHold>();

  constructor(
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
    @inject(TOKENS.HostPoliteness) @optional() private readonly store?: HostPoliteness,
  ) {
    this.gate = new HostGate(settings.hostLimits, {
      now: () => this.clock.now().getTime(),
      maxWaitMs: MAX_HOST_WAIT_MS,
      ...(store ? { turns: store.takeTurn.bind(store) } : {}),
    });
  }

  /** The hosts of one message's feeds, with the holds in force on them. */
  async forMessage(urls: readonly string[]): Promise<MessageHosts> {
    const now = this.clock.now();
    const hosts = [...new Set(urls.map(hostOf))];
    const holds = new Map<string, HostHold>();
    for (const host of hosts) {
      const known = this.known.get(host);
      if (known !== undefined && isHeld(known, now)) holds.set(host, known);
      else this.known.delete(host);
    }
    const unknown = hosts.filter((host) => !holds.has(host));
    if (this.store && unknown.length > 0) {
      for (const [host, hold] of await this.store.holdsOn(unknown, now)) {
        holds.set(host, hold);
        this.known.set(host, hold);
      }
    }
    return new MessageHosts(this, holds);
  }

  /** Runs `fetch` unless the host is held, within its limit; what it reports may hold the host. */
  async visit<T>(
    holds: Map<string, HostHold>,
    url: string,
    errorCount: number,
    fetch: (report: ReportOutcome) => Promise<T>,
  ): Promise<T | 'deferred'> {
    const host = hostOf(url);
    if (isHeld(holds.get(host), this.clock.now())) return 'deferred';
    return this.gate.run(host, async () => {
      // A hold made while this fetch waited for its turn applies to it too.
      if (isHeld(holds.get(host), this.clock.now())) return 'deferred' as const;
      return fetch((outcome, now) => this.report(holds, host, errorCount, outcome, now));
    });
  }

  /** Holds a host that asked to slow down or stopped answering: once per hold, for every worker. */
  private async report(
    holds: Map<string, HostHold>,
    host: string,
    errorCount: number,
    outcome: FetchOutcome,
    now: Date,
  ): Promise<void> {
    if (!concernsHost(outcome) || isHeld(holds.get(host), now)) return;
    const hold = hostHoldAfter(host, outcome, errorCount + 1, now, schedulePolicyOf(this.settings));
    holds.set(host, hold);
    this.known.set(host, hold);
    await this.store?.hold(hold);
  }
}

/** The hosts of one fetch message and the holds on them, shared by its fetches. */
export class MessageHosts {
  constructor(
    private readonly hosts: PoliteHosts,
    private readonly holds: Map<string, HostHold>,
  ) {}

  /**
   * Runs `fetch` for a feed at `url` (failed `errorCount` times so far) unless its host is held, within the
   * host's limit; answers `deferred` when the feed was left for a later run.
   */
  visit<T>(url: string, errorCount: number, fetch: (report: ReportOutcome) => Promise<T>): Promise<T | 'deferred'> {
    return this.hosts.visit(this.holds, url, errorCount, fetch);
  }
}
