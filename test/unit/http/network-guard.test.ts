import { describe, expect, it } from '@jest/globals';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { InvalidNetworkError } from '../../../src/adapters/http/errors.js';
import { NetworkGuard, literalAddress, parseAllowedNetworks } from '../../../src/adapters/http/network-guard.js';

function lookupAll(guard: NetworkGuard, hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    guard.lookup(hostname, { all: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses as LookupAddress[]),
    ),
  );
}

function lookupOne(guard: NetworkGuard, hostname: string): Promise<{ address: string; family?: number }> {
  return new Promise((resolve, reject) =>
    guard.lookup(hostname, { family: 4 }, (error, address, family) =>
      error ? reject(error) : resolve({ address: address as string, family }),
    ),
  );
}

describe('NetworkGuard', () => {
  const guard = new NetworkGuard();

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'IPv6 loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'IPv6 link-local'],
    ['fe80::1%eth0', 'IPv6 link-local with a zone'],
    ['febf::1', 'IPv6 link-local (end of fe80::/10)'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.255', 'CGNAT'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'IPv6 multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this network'],
    ['::', 'IPv6 unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['fc00::1', 'ULA'],
    ['fd12:3456:789a::1', 'ULA'],
    ['::ffff:127.0.0.1', 'v4-mapped loopback'],
    ['::ffff:7f00:1', 'v4-mapped loopback, hex form'],
    ['::ffff:a9fe:a9fe', 'v4-mapped metadata address'],
    ['::ffff:10.1.2.3', 'v4-mapped private'],
    ['::127.0.0.1', 'v4-compatible loopback'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of the metadata address'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['2002:c0a8:0101::1', '6to4 of a private address'],
    ['2001::1', 'Teredo'],
    ['[::1]', 'bracketed IPv6 loopback'],
    ['not-an-address', 'not an IP address at all'],
  ])('blocks %s (%s)', (address) => {
    expect(guard.isBlocked(address)).toBe(true);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:0808:0808::1',
  ])('lets the public address %s through', (address) => {
    expect(guard.isBlocked(address)).toBe(false);
  });

  it('lets through internal addresses inside an allowed network, and only those', () => {
    const allowing = NetworkGuard.fromList(['127.0.0.0/8', '10.1.0.0/16', 'fd00::/8']);

    expect(allowing.isBlocked('127.0.0.1')).toBe(false);
    expect(allowing.isBlocked('127.9.9.9')).toBe(false);
    expect(allowing.isBlocked('::ffff:127.0.0.1')).toBe(false);
    expect(allowing.isBlocked('10.1.200.3')).toBe(false);
    expect(allowing.isBlocked('fd00::5')).toBe(false);
    expect(allowing.isBlocked('10.2.0.1')).toBe(true);
    expect(allowing.isBlocked('::1')).toBe(true);
    expect(allowing.isBlocked('169.254.169.254')).toBe(true);
    expect(allowing.isBlocked('fc00::1')).toBe(true);
  });

  it('allows a single address given without a prefix', () => {
    const allowing = NetworkGuard.fromList(['::1', '192.168.1.10']);

    expect(allowing.isBlocked('::1')).toBe(false);
    expect(allowing.isBlocked('192.168.1.10')).toBe(false);
    expect(allowing.isBlocked('192.168.1.11')).toBe(true);
  });

  it('refuses IP-literal hosts in every numeric spelling, unless allowed', () => {
    for (const host of ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.1', '[::1]', '[::ffff:7f00:1]']) {
      expect(() => guard.assertHostAllowed(host)).toThrow(expect.objectContaining({ code: 'blocked_address' }));
    }
    expect(() => NetworkGuard.fromList(['127.0.0.0/8']).assertHostAllowed('0x7f000001')).not.toThrow();
    expect(() => guard.assertHostAllowed('example.com')).not.toThrow();
  });

  it('refuses a name that resolves only to blocked addresses, at lookup time', async () => {
    await expect(lookupAll(guard, 'localhost')).rejects.toMatchObject({ code: 'blocked_address' });
    await expect(lookupOne(guard, 'localhost')).rejects.toMatchObject({ code: 'blocked_address' });
  });

  it('resolves a name to its allowed addresses, in both lookup forms', async () => {
    const allowing = NetworkGuard.fromList(['127.0.0.0/8', '::1/128']);

    const all = await lookupAll(allowing, 'localhost');
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((entry) => entry.address === '127.0.0.1' || entry.address === '::1')).toBe(true);
    await expect(lookupOne(allowing, 'localhost')).resolves.toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('passes DNS failures through with their own code', async () => {
    await expect(lookupAll(guard, 'nonexistent.invalid')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('parseAllowedNetworks', () => {
  it('reads IPv4 and IPv6 ranges, a single address being a range of one', () => {
    expect(parseAllowedNetworks(['127.0.0.1/8', ' ::1/128 ', '0.0.0.0/0', 'fd00::/8', '10.1.2.3'])).toEqual([
      { family: 'ipv4', network: '127.0.0.1', prefix: 8 },
      { family: 'ipv6', network: '::1', prefix: 128 },
      { family: 'ipv4', network: '0.0.0.0', prefix: 0 },
      { family: 'ipv6', network: 'fd00::', prefix: 8 },
      { family: 'ipv4', network: '10.1.2.3', prefix: 32 },
    ]);
  });

  it('ignores the host bits of a range: 127.0.0.1/8 allows all of 127.0.0.0/8', () => {
    const allowing = NetworkGuard.fromList(['127.0.0.1/8']);

    expect(allowing.isBlocked('127.200.0.1')).toBe(false);
    expect(allowing.isBlocked('128.0.0.1')).toBe(false);
    expect(allowing.isBlocked('10.0.0.1')).toBe(true);
  });

  it.each([
    ['', 'empty entry'],
    ['localhost', 'not an IPv4 or IPv6 address'],
    ['10.0.0.0/33', 'from 0 to 32'],
    ['::/129', 'from 0 to 128'],
    ['10.0.0.0/', 'from 0 to 32'],
    ['10.0.0.0/8/8', 'from 0 to 32'],
    ['10.0.0.0/-1', 'from 0 to 32'],
    ['10.0.0/8', 'not an IPv4 or IPv6 address'],
    ['0x7f000001/8', 'not an IPv4 or IPv6 address'],
    ['fe80::1%eth0/64', 'not an IPv4 or IPv6 address'],
  ])('rejects %j naming the entry (%s)', (entry, reason) => {
    const attempt = (): unknown => parseAllowedNetworks(['127.0.0.0/8', entry]);
    expect(attempt).toThrow(InvalidNetworkError);
    expect(attempt).toThrow(JSON.stringify(entry));
    expect(attempt).toThrow(reason);
  });
});

describe('literalAddress', () => {
  it.each([
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['0x', '0.0.0.0'],
    ['169.254.43518', '169.254.169.254'],
    ['10.0.0.1.', '10.0.0.1'],
    ['4294967295', '255.255.255.255'],
  ])('reads the numeric host %s as %s', (host, address) => {
    expect(literalAddress(host)).toBe(address);
  });

  it.each(['example.com', '4294967296', '256.0.0.1', '1.2.3.4.5', '08.0.0.1', '1..2', '1e3', 'deadbeef', ''])(
    'does not read %j as an address',
    (host) => {
      expect(literalAddress(host)).toBeUndefined();
    },
  );

  it('takes a host as it is exactly when node:net reads it as an IP address', () => {
    const hosts = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4Extended(),
      fc.tuple(fc.ipV6(), fc.stringMatching(/^[0-9a-z]{1,6}$/)).map(([address, zone]) => `${address}%${zone}`),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefx.:%'.split('')) }),
      fc.string(),
    );
    fc.assert(
      fc.property(hosts, (host) => {
        fc.pre(!host.startsWith('['));
        expect(literalAddress(host) === host).toBe(isIP(host) !== 0);
      }),
    );
  });

  it('finds the literal address behind a URL host', () => {
    expect(literalAddress('[::1]')).toBe('::1');
    expect(literalAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(literalAddress('0x7f000001')).toBe('127.0.0.1');
    expect(literalAddress('feeds.example.com')).toBeUndefined();
  });
});
