import { lookup } from 'node:dns/promises';
import { inject, injectable, type ServiceIdentifier } from 'inversify';
import type { SinkAddressPolicy } from '../../application/ports/sink-address-policy.port.js';
import type { SinkDescriptor } from '../../domain/subscription.js';
import { literalAddress, NetworkGuard } from './network-guard.js';

export interface SinkAddressOptions {
  /** CIDRs that sinks may reach although they are internal: the same setting deliveries run under. */
  readonly allowedNetworks: readonly string[];
  /** How long a name may take to resolve before the check gives up on it (and lets it pass). Default 2000. */
  readonly lookupTimeoutMs?: number;
  /** Resolves a name to its addresses; default the system resolver (`dns.lookup`, all addresses). */
  readonly resolve?: (hostname: string) => Promise<readonly string[]>;
}

export const SINK_ADDRESS_OPTIONS = Symbol.for('SinkAddressOptions') as ServiceIdentifier<SinkAddressOptions>;

/** How long a name's addresses are reused for the sinks that name it. */
const LOOKUP_REUSE_MS = 60_000;
/** Names remembered at most: past it, the memory starts over. */
const MAX_REMEMBERED_NAMES = 10_000;

const resolveAll = async (hostname: string): Promise<readonly string[]> =>
  (await lookup(hostname, { all: true })).map((a) => a.address);

/**
 * The address guard deliveries pass (`NetworkGuard`), asked before a subscription is stored: a webhook whose
 * host is an internal address in any spelling, or a name that resolves only to internal addresses, is refused
 * unless an allowed network holds it. A name that does not resolve now passes: whether it may be reached is
 * decided at connect time, on every delivery, as before.
 */
@injectable()
export class GuardedSinkAddressPolicy implements SinkAddressPolicy {
  private readonly guard: NetworkGuard;
  private readonly timeoutMs: number;
  private readonly resolve: (hostname: string) => Promise<readonly string[]>;
  private readonly lookups = new Map<string, { at: number; addresses: Promise<readonly string[]> }>();

  constructor(@inject(SINK_ADDRESS_OPTIONS) options: SinkAddressOptions) {
    this.guard = NetworkGuard.fromList(options.allowedNetworks);
    this.timeoutMs = options.lookupTimeoutMs ?? 2000;
    this.resolve = options.resolve ?? resolveAll;
  }

  async refusal(sink: SinkDescriptor): Promise<string | undefined> {
    if (sink.kind !== 'webhook') return undefined;
    const { hostname } = new URL(sink.url);
    const literal = literalAddress(hostname);
    const addresses = literal !== undefined ? [literal] : await this.resolved(hostname);
    if (addresses.length === 0 || !addresses.every((address) => this.guard.isBlocked(address))) return undefined;
    const where = literal !== undefined ? 'is' : `resolves to ${addresses.join(', ')}, which is`;
    return (
      `the webhook host ${hostname} ${where} an internal address (loopback, private, link-local, …) ` +
      'outside the allowed networks'
    );
  }

  /**
   * A name's addresses, looked up once for `LOOKUP_REUSE_MS` however many sinks name it (a bulk import of many
   * webhooks of one host asks once, not once each: every lookup holds one of libuv's four resolver threads).
   */
  private resolved(hostname: string): Promise<readonly string[]> {
    const now = Date.now();
    const known = this.lookups.get(hostname);
    if (known && now - known.at < LOOKUP_REUSE_MS) return known.addresses;
    if (this.lookups.size >= MAX_REMEMBERED_NAMES) this.lookups.clear();
    const addresses = this.lookup(hostname);
    this.lookups.set(hostname, { at: now, addresses });
    return addresses;
  }

  private async lookup(hostname: string): Promise<readonly string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<readonly string[]>((resolve) => {
      timer = setTimeout(() => resolve([]), this.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([this.resolve(hostname).catch(() => [] as readonly string[]), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
