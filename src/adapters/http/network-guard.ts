import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIPv4, isIPv6, type LookupFunction } from 'node:net';
import { BlockedAddressError, InvalidNetworkError } from './errors.js';

type Family = 'ipv4' | 'ipv6';

/** A range of addresses as `net.BlockList.addSubnet` takes it (host bits may be set: the prefix decides). */
export interface Subnet {
  readonly network: string;
  readonly prefix: number;
  readonly family: Family;
}

const BITS: Record<Family, number> = { ipv4: 32, ipv6: 128 };

/**
 * The family of `address` if it is an IP address, as `net.isIP` reads it. Only a string holding a `:` can be an
 * IPv6 address (and none holding one is IPv4), so only those meet `isIPv6`, whose regular expression is compiled
 * on its first use (10–30 ms): not at module load, then, but at the first outgoing connection, where Node's own
 * `net.connect` checks its host with it anyway.
 */
function familyOf(address: string): Family | undefined {
  if (address.includes(':')) return isIPv6(address) ? 'ipv6' : undefined;
  return isIPv4(address) ? 'ipv4' : undefined;
}

function blockListOf(subnets: readonly Subnet[]): BlockList {
  const list = new BlockList();
  for (const { network, prefix, family } of subnets) list.addSubnet(network, prefix, family);
  return list;
}

/**
 * `10.0.0.0/8` as a `Subnet`, for the ranges written below: known to be well formed, so the `:` tells the family
 * without a regular expression at load (and `BlockList.addSubnet` still refuses a malformed one).
 */
function subnet(cidr: string): Subnet {
  const [network = '', prefix = ''] = cidr.split('/');
  return { network, prefix: Number(prefix), family: network.includes(':') ? 'ipv6' : 'ipv4' };
}

/** Addresses that are not public: loopback, private, link-local, CGNAT, multicast, reserved and documentation. */
const SPECIAL_RANGES: readonly string[] = [
  '0.0.0.0/8', // "this network", unspecified
  '10.0.0.0/8',
  '100.64.0.0/10', // CGNAT
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local, cloud metadata
  '172.16.0.0/12',
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation
  '192.88.99.0/24', // 6to4 relay anycast
  '192.168.0.0/16',
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, broadcast
  '::/128',
  '::1/128',
  '64:ff9b:1::/48', // local-use NAT64
  '100::/64', // discard-only
  '2001::/32', // Teredo: the client address is obfuscated, so the whole range is refused
  '2001:db8::/32', // documentation
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated)
  'ff00::/8', // multicast
];

/** IPv6 ranges that carry an IPv4 address, and where in the eight 16-bit groups it sits: that address decides. */
const EMBEDDING_V6_RANGES: readonly { readonly range: string; readonly groups: readonly [number, number] }[] = [
  { range: '::ffff:0:0/96', groups: [6, 7] }, // v4-mapped
  { range: '::ffff:0:0:0/96', groups: [6, 7] }, // v4-translated (SIIT)
  { range: '::/96', groups: [6, 7] }, // v4-compatible (deprecated)
  { range: '64:ff9b::/96', groups: [6, 7] }, // NAT64 well-known prefix
  { range: '2002::/16', groups: [1, 2] }, // 6to4
];

interface BlockLists {
  readonly special: BlockList;
  /** `::` and `::1`, which lie inside the v4-compatible range but are IPv6's own unspecified and loopback. */
  readonly unspecifiedOrLoopbackV6: BlockList;
  readonly embeddingV6: readonly { readonly range: BlockList; readonly groups: readonly [number, number] }[];
}

let blockLists: BlockLists | undefined;

/**
 * The ranges above as block lists, built on the first check: building them loads `BlockList`'s internals, which
 * a cold start (the API's, most of whose routes check no address) need not pay for.
 */
function specialBlockLists(): BlockLists {
  return (blockLists ??= {
    special: blockListOf(SPECIAL_RANGES.map(subnet)),
    unspecifiedOrLoopbackV6: blockListOf([subnet('::/127')]),
    embeddingV6: EMBEDDING_V6_RANGES.map(({ range, groups }) => ({ range: blockListOf([subnet(range)]), groups })),
  });
}

/** The eight 16-bit groups of an IPv6 address; the URL parser first spells it canonically (hex, `::` once). */
function groupsOf(ipv6: string): number[] {
  const canonical = new URL(`http://[${ipv6}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const hex = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const left = hex(head);
  const right = hex(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The IPv4 address held in two 16-bit groups, dotted. */
const ipv4Of = (high: number, low: number): string => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/**
 * Parses the allowed-networks setting: each entry a CIDR range (`127.0.0.0/8`, `fd00::/8`) or a single address.
 * Throws an `InvalidNetworkError` naming the first entry that is neither.
 */
export function parseAllowedNetworks(list: readonly string[]): Subnet[] {
  return list.map((raw) => {
    const entry = raw.trim();
    if (entry === '') throw new InvalidNetworkError(raw, 'empty entry');
    const slash = entry.indexOf('/');
    const network = slash < 0 ? entry : entry.slice(0, slash);
    const family = familyOf(network);
    if (family === undefined || network.includes('%')) {
      throw new InvalidNetworkError(raw, `${JSON.stringify(network)} is not an IPv4 or IPv6 address`);
    }
    const bits = BITS[family];
    let prefix = bits;
    if (slash >= 0) {
      const text = entry.slice(slash + 1);
      if (!/^\d{1,3}$/.test(text) || Number(text) > bits) {
        throw new InvalidNetworkError(raw, `the prefix length must be a number from 0 to ${bits}`);
      }
      prefix = Number(text);
    }
    return { network, prefix, family };
  });
}

/**
 * Keeps outbound HTTP (feeds and webhooks) away from internal networks: every address that is not public is
 * refused unless it lies inside an explicitly allowed range. Names are checked after resolution, at connect time,
 * through `lookup`; IP literals, which Node connects to without a lookup, through `assertHostAllowed`.
 */
export class NetworkGuard {
  private readonly allowed: BlockList;

  constructor(allowed: readonly Subnet[] = []) {
    this.allowed = blockListOf(allowed);
  }

  /** A guard from the allowed-networks setting (see `parseAllowedNetworks`). */
  static fromList(list: readonly string[]): NetworkGuard {
    return new NetworkGuard(parseAllowedNetworks(list));
  }

  /** Whether a connection to this IP address must be refused. Anything that is not an IP address is. */
  isBlocked(address: string): boolean {
    let text = address.trim();
    if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
    const zone = text.indexOf('%');
    if (zone >= 0) text = text.slice(0, zone);
    const family = familyOf(text);
    if (family === undefined) return true;
    if (this.allowed.check(text, family)) return false;
    const { special, unspecifiedOrLoopbackV6, embeddingV6 } = specialBlockLists();
    if (family === 'ipv6' && !unspecifiedOrLoopbackV6.check(text, family)) {
      const embedding = embeddingV6.find(({ range }) => range.check(text, 'ipv6'));
      if (embedding !== undefined) {
        const groups = groupsOf(text);
        return this.isBlocked(ipv4Of(groups[embedding.groups[0]]!, groups[embedding.groups[1]]!));
      }
    }
    return special.check(text, family);
  }

  /**
   * Throws a `BlockedAddressError` when the URL host is an IP address (in any numeric spelling) that is blocked.
   * Host names pass: they are checked when they resolve.
   */
  assertHostAllowed(hostname: string): void {
    const literal = literalAddress(hostname);
    if (literal !== undefined && this.isBlocked(literal)) throw new BlockedAddressError(hostname, literal);
  }

  /**
   * A drop-in for `dns.lookup` to hand to `http.request`/`net.connect`: resolves the name, drops blocked
   * addresses and fails with a `BlockedAddressError` (code `blocked_address`) when none is left.
   * Supports both the single-address and the `all: true` form, the one Node 20 uses with autoSelectFamily.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const lookupOptions: LookupOptions = { ...(options ?? {}), all: true };
    dnsLookup(hostname, lookupOptions as LookupOptions & { all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, options?.all ? [] : '', undefined);
        return;
      }
      const permitted = addresses.filter((entry) => !this.isBlocked(entry.address));
      if (permitted.length === 0) {
        const first = addresses[0]?.address ?? '';
        callback(new BlockedAddressError(hostname, first), options?.all ? [] : '', undefined);
        return;
      }
      if (options?.all) callback(null, permitted);
      else callback(null, permitted[0]!.address, permitted[0]!.family);
    });
  };
}

/**
 * The IP address a URL host denotes without any lookup (`[::1]`, `127.0.0.1`), if it is one. A numeric IPv4
 * host in any spelling the WHATWG URL standard reads (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`) is
 * read by the platform's URL parser, as `fetch` and `http.request` would read it.
 */
export function literalAddress(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (familyOf(bare) !== undefined) return bare;
  let parsed: string;
  try {
    parsed = new URL(`http://${hostname}/`).hostname;
  } catch {
    return undefined;
  }
  return isIPv4(parsed) ? parsed : undefined;
}
