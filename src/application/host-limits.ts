import { ConfigurationError } from './errors.js';
import { Limiter } from './bounded.js';
import { sleep } from './retry.js';

/**
 * A host's own limit: at most `concurrency` fetches at once and, with `perSeconds`, at most `concurrency`
 * fetches started in any `perSeconds` (spread evenly). Hosts without one have no limit beyond the
 * environment's `fetchConcurrency`.
 */
export interface HostLimit {
  /** Lower-case host name, with `:port` when the feeds name one. */
  readonly host: string;
  readonly concurrency: number;
  readonly perSeconds?: number;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/**
 * Reads `host=N` (N at once) and `host=N/DURATION` (N at once and N per DURATION: `500ms`, `1s`, `2m`, `1h`),
 * comma-separated: `FEEDRELAY_HOST_LIMITS="example.com=2/1s,feeds.example.org:8443=1/5s"`. A malformed entry
 * is an error naming it.
 */
export function parseHostLimits(text: string | undefined, source = 'FEEDRELAY_HOST_LIMITS'): HostLimit[] {
  if (text === undefined || text.trim() === '') return [];
  const limits = new Map<string, HostLimit>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const bad = (why: string): ConfigurationError =>
      new ConfigurationError(
        `${source}: ${JSON.stringify(entry)} ${why} (expected host=N or host=N/DURATION, e.g. example.com=2/1s)`,
      );
    const eq = entry.indexOf('=');
    if (eq <= 0) throw bad('names no host');
    const host = entry.slice(0, eq).trim().toLowerCase();
    if (!/^[a-z0-9.-]+(:\d+)?$|^\[[0-9a-f:.]+\](:\d+)?$/.test(host)) throw bad('is not a host name');
    const [count, duration, ...extra] = entry
      .slice(eq + 1)
      .trim()
      .split('/');
    if (extra.length > 0) throw bad('has more than one "/"');
    const concurrency = Number(count);
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw bad('needs a whole number of requests from 1');
    let perSeconds: number | undefined;
    if (duration !== undefined) {
      const match = DURATION.exec(duration.trim());
      if (!match) throw bad('has a duration that is not like 500ms, 1s, 2m or 1h');
      perSeconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
      if (!(perSeconds > 0)) throw bad('needs a duration above zero');
    }
    if (limits.has(host)) throw bad('repeats a host');
    limits.set(host, { host, concurrency, ...(perSeconds !== undefined ? { perSeconds } : {}) });
  }
  return [...limits.values()];
}

/** When a rate-limited host's next fetch may start: evenly spaced, never before `now`. */
export function nextSlot(previous: number | undefined, now: number, limit: HostLimit): number {
  if (limit.perSeconds === undefined) return now;
  const spacing = (limit.perSeconds * 1000) / limit.concurrency;
  return previous === undefined ? now : Math.max(now, previous + spacing);
}

/** Takes a turn of a rate shared by every worker (`HostPoliteness.takeTurn`). */
export type SharedTurns = (
  host: string,
  starts: number,
  perSeconds: number,
  at: Date,
  until: Date,
) => Promise<Date | undefined>;

export interface HostGateOptions {
  readonly now: () => number;
  /** A fetch whose turn is further away than this is not made: its feed stays due for a later run. */
  readonly maxWaitMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where the turns of a rate are counted for every worker; without it, each environment spaces its own. */
  readonly turns?: SharedTurns;
}

/**
 * The configured host limits: a limited host's fetches queue for its concurrency (in this environment) and
 * wait for their turn of its rate (shared by every worker when `turns` is given). A fetch whose turn is more
 * than `maxWaitMs` away is not made (`deferred`): its feed stays due for a later run rather than holding the
 * invocation.
 */
export class HostGate {
  private readonly limits: ReadonlyMap<string, HostLimit>;
  private readonly limiters = new Map<string, Limiter>();
  private readonly lastSlot = new Map<string, number>();
  private readonly now: () => number;
  private readonly maxWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly turns: SharedTurns | undefined;

  constructor(limits: readonly HostLimit[], options: HostGateOptions) {
    this.limits = new Map(limits.map((limit) => [limit.host, limit]));
    this.now = options.now;
    this.maxWaitMs = options.maxWaitMs;
    this.sleep = options.sleep ?? sleep;
    this.turns = options.turns;
  }

  /** The limit that applies to `host` (`name:port` first, then `name`). */
  limitOf(host: string): HostLimit | undefined {
    return this.limits.get(host) ?? this.limits.get(host.replace(/:\d+$/, ''));
  }

  async run<T>(host: string, task: () => Promise<T>): Promise<T | 'deferred'> {
    const limit = this.limitOf(host);
    if (limit === undefined) return task();
    let limiter = this.limiters.get(limit.host);
    if (limiter === undefined) {
      limiter = new Limiter(limit.concurrency);
      this.limiters.set(limit.host, limiter);
    }
    return limiter.run(async () => {
      const now = this.now();
      const start = await this.turnOf(limit, now);
      if (start === undefined) return 'deferred' as const;
      if (start > now) await this.sleep(start - now);
      return task();
    });
  }

  /** When a fetch of a limited host may start (epoch ms), or undefined when not within `maxWaitMs`. */
  private async turnOf(limit: HostLimit, now: number): Promise<number | undefined> {
    if (limit.perSeconds === undefined) return now;
    if (this.turns !== undefined) {
      // Windows before the last turn taken here were full: look from there, and not at all while they are.
      const from = Math.max(now, this.lastSlot.get(limit.host) ?? now);
      if (from - now > this.maxWaitMs) return undefined;
      const at = await this.turns(
        limit.host,
        limit.concurrency,
        limit.perSeconds,
        new Date(from),
        new Date(now + this.maxWaitMs),
      );
      const reached = at?.getTime() ?? now + this.maxWaitMs + 1;
      this.lastSlot.set(limit.host, Math.max(reached, this.lastSlot.get(limit.host) ?? reached));
      return at?.getTime();
    }
    const slot = nextSlot(this.lastSlot.get(limit.host), now, limit);
    if (slot - now > this.maxWaitMs) return undefined;
    this.lastSlot.set(limit.host, slot);
    return slot;
  }
}
