import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { BlockedAddressError, InvalidNetworkError } from './errors.js';

/** An IP address as a number: 32 bits for IPv4, 128 bits for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A CIDR range: the network address (host bits cleared) and the prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

function maskOf(family: 4 | 6, prefix: number): bigint {
  const bits = BITS[family];
  return prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

function contains(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.family === ip.family && (ip.value & maskOf(cidr.family, cidr.prefix)) === cidr.network;
}

function parseIpv4Dotted(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseIpv6(text: string): bigint {
  let head = text;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(head);
  if (dotted) {
    const v4 = Number(parseIpv4Dotted(dotted[1]!));
    tail.push(v4 >>> 16, v4 & 0xffff);
    head = head.slice(0, -dotted[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [left = '', right] = head.split('::');
  const leftGroups = groups(left);
  const rightGroups = right === undefined ? [] : groups(right);
  const fill = 8 - tail.length - leftGroups.length - rightGroups.length;
  const all = [...leftGroups, ...new Array<number>(right === undefined ? 0 : fill).fill(0), ...rightGroups, ...tail];
  return all.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

/**
 * Parses an IPv4 or IPv6 address as Node and URLs spell it (`127.0.0.1`, `::1`, `[::1]`, `fe80::1%eth0`).
 * Returns undefined for anything that is not an IP address.
 */
export function parseIp(address: string): IpAddress | undefined {
  let text = address.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const family = isIP(text);
  if (family === 4) return { family: 4, value: parseIpv4Dotted(text) };
  if (family === 6) return { family: 6, value: parseIpv6(text.toLowerCase()) };
  return undefined;
}

/** Formats an IPv4 address held as a number in dotted-decimal form. */
function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/**
 * Reads a host the way the WHATWG URL standard reads an IPv4 host: one to four dot-separated parts, each decimal,
 * `0x` hexadecimal or `0`-prefixed octal, the last part filling the remaining bytes (`2130706433`, `0x7f000001`,
 * `0177.0.0.1`, `127.1`). Returns the dotted-decimal address, or undefined when the host is not numeric.
 */
export function parseNumericIpv4(host: string): string | undefined {
  const parts = host.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return undefined;
  const numbers: bigint[] = [];
  for (const part of parts) {
    let digits = part;
    let radix = 10;
    if (/^0x/i.test(digits)) {
      digits = digits.slice(2);
      radix = 16;
    } else if (digits.length > 1 && digits.startsWith('0')) {
      digits = digits.slice(1);
      radix = 8;
    }
    const pattern = radix === 16 ? /^[0-9a-f]*$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
    if (!pattern.test(digits) || (radix === 10 && digits === '')) return undefined;
    numbers.push(digits === '' ? 0n : BigInt((radix === 16 ? '0x' : radix === 8 ? '0o' : '') + digits));
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255n)) return undefined;
  if (last >= 256n ** BigInt(5 - parts.length)) return undefined;
  const value = numbers.reduce((acc, n, index) => acc + (n << BigInt(8 * (3 - index))), last);
  return formatIpv4(value);
}

function cidr(text: string): Cidr {
  const [address = '', prefix = ''] = text.split('/');
  const ip = parseIp(address)!;
  const length = Number(prefix);
  return { family: ip.family, network: ip.value & maskOf(ip.family, length), prefix: length };
}

/** Addresses that are not public: loopback, private, link-local, CGNAT, multicast, reserved and documentation. */
const SPECIAL_V4: readonly Cidr[] = [
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
].map(cidr);

const SPECIAL_V6: readonly Cidr[] = [
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
].map(cidr);

/** IPv6 ranges that carry an IPv4 address: the embedded address decides. */
const EMBEDDING_V6: readonly { readonly range: Cidr; readonly shift: bigint }[] = [
  { range: cidr('::ffff:0:0/96'), shift: 0n }, // v4-mapped
  { range: cidr('::ffff:0:0:0/96'), shift: 0n }, // v4-translated (SIIT)
  { range: cidr('::/96'), shift: 0n }, // v4-compatible (deprecated)
  { range: cidr('64:ff9b::/96'), shift: 0n }, // NAT64 well-known prefix
  { range: cidr('2002::/16'), shift: 80n }, // 6to4
];

/**
 * Parses the allowed-networks setting: each entry a CIDR range (`127.0.0.0/8`, `fd00::/8`) or a single address.
 * Throws an `InvalidNetworkError` naming the first entry that is neither.
 */
export function parseAllowedNetworks(list: readonly string[]): Cidr[] {
  return list.map((raw) => {
    const entry = raw.trim();
    if (entry === '') throw new InvalidNetworkError(raw, 'empty entry');
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const ip = parseIp(address);
    if (!ip || address.includes('%') || address.startsWith('[')) {
      throw new InvalidNetworkError(raw, `${JSON.stringify(address)} is not an IPv4 or IPv6 address`);
    }
    const bits = BITS[ip.family];
    let prefix: number = bits;
    if (slash >= 0) {
      const text = entry.slice(slash + 1);
      if (!/^\d{1,3}$/.test(text) || Number(text) > bits) {
        throw new InvalidNetworkError(raw, `the prefix length must be a number from 0 to ${bits}`);
      }
      prefix = Number(text);
    }
    return { family: ip.family, network: ip.value & maskOf(ip.family, prefix), prefix };
  });
}

/**
 * Keeps outbound HTTP (feeds and webhooks) away from internal networks: every address that is not public is
 * refused unless it lies inside an explicitly allowed range. Names are checked after resolution, at connect time,
 * through `lookup`; IP literals, which Node connects to without a lookup, through `assertHostAllowed`.
 */
export class NetworkGuard {
  private readonly allowed: readonly Cidr[];

  constructor(allowed: readonly Cidr[] = []) {
    this.allowed = allowed;
  }

  /** A guard from the allowed-networks setting (see `parseAllowedNetworks`). */
  static fromList(list: readonly string[]): NetworkGuard {
    return new NetworkGuard(parseAllowedNetworks(list));
  }

  /** Whether a connection to this IP address must be refused. Anything that is not an IP address is. */
  isBlocked(address: string): boolean {
    const ip = parseIp(address);
    return ip === undefined || this.isBlockedIp(ip);
  }

  private isBlockedIp(ip: IpAddress): boolean {
    if (this.allowed.some((range) => contains(range, ip))) return false;
    if (ip.family === 4) return SPECIAL_V4.some((range) => contains(range, ip));
    if (ip.value <= 1n) return true; // :: and ::1, also inside the v4-compatible range
    for (const { range, shift } of EMBEDDING_V6) {
      if (contains(range, ip)) return this.isBlockedIp({ family: 4, value: (ip.value >> shift) & 0xffffffffn });
    }
    return SPECIAL_V6.some((range) => contains(range, ip));
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

/** The IP address a URL host denotes without any lookup (`[::1]`, `127.0.0.1`, `2130706433`), if it is one. */
export function literalAddress(hostname: string): string | undefined {
  const ip = parseIp(hostname);
  if (ip) return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return parseNumericIpv4(hostname);
}
