import { GuardedSinkAddressPolicy } from '../../../src/adapters/http/guarded-sink-address-policy.js';

const webhook = (url: string) => ({ kind: 'webhook', url }) as const;

/** A policy whose resolver answers from a table (no DNS); a name not in it does not resolve. */
function policy(allowedNetworks: string[] = [], names: Record<string, string[]> = {}) {
  return new GuardedSinkAddressPolicy({
    allowedNetworks,
    resolve: async (hostname) => {
      const addresses = names[hostname];
      if (!addresses) throw new Error(`ENOTFOUND ${hostname}`);
      return addresses;
    },
  });
}

describe('GuardedSinkAddressPolicy', () => {
  it.each([
    'http://127.0.0.1/hook',
    'http://10.1.2.3/hook',
    'http://[::1]:8080/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://2130706433/hook',
    'http://0x7f.1/hook',
    'http://[::ffff:192.168.0.1]/hook',
  ])('refuses %s, an internal address in some spelling', async (url) => {
    expect(await policy().refusal(webhook(url))).toMatch(/internal address/);
  });

  it('refuses a name that resolves only to internal addresses, naming them', async () => {
    const refusal = await policy([], { 'intranet.example': ['10.0.0.5', '192.168.1.9'] }).refusal(
      webhook('https://intranet.example/hook'),
    );

    expect(refusal).toMatch(/intranet\.example resolves to 10\.0\.0\.5, 192\.168\.1\.9/);
  });

  it('lets through a public address, a name with a public address, and a name that does not resolve now', async () => {
    const guard = policy([], { 'hooks.example.net': ['93.184.216.34', '10.0.0.1'] });

    expect(await guard.refusal(webhook('https://93.184.216.34/hook'))).toBeUndefined();
    expect(await guard.refusal(webhook('https://hooks.example.net/hook'))).toBeUndefined();
    expect(await guard.refusal(webhook('https://unknown.example/hook'))).toBeUndefined();
  });

  it('lets through an internal address inside an allowed network', async () => {
    const guard = policy(['127.0.0.0/8'], { localhost: ['127.0.0.1'] });

    expect(await guard.refusal(webhook('http://127.0.0.1:9000/hook'))).toBeUndefined();
    expect(await guard.refusal(webhook('http://localhost:9000/hook'))).toBeUndefined();
    expect(await guard.refusal(webhook('http://10.0.0.1/hook'))).toMatch(/internal address/);
  });

  it('gives up on a name that takes too long to resolve, and lets it through', async () => {
    const slow = new GuardedSinkAddressPolicy({
      allowedNetworks: [],
      lookupTimeoutMs: 10,
      resolve: () => new Promise(() => undefined),
    });

    expect(await slow.refusal(webhook('https://slow.example/hook'))).toBeUndefined();
  });
});

describe('GuardedSinkAddressPolicy lookups', () => {
  it('looks a name up once for the many sinks that name it', async () => {
    const asked: string[] = [];
    const guard = new GuardedSinkAddressPolicy({
      allowedNetworks: [],
      resolve: async (hostname) => {
        asked.push(hostname);
        return hostname === 'intranet.example' ? ['10.0.0.5'] : ['93.184.216.34'];
      },
    });

    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        guard.refusal(webhook(`https://${i % 2 === 0 ? 'hooks.example.net' : 'intranet.example'}/h/${i}`)),
      ),
    );

    expect(asked.sort()).toEqual(['hooks.example.net', 'intranet.example']);
    expect(answers.filter((a) => a === undefined)).toHaveLength(100);
    expect(answers.filter((a) => a !== undefined && /intranet\.example resolves to 10\.0\.0\.5/.test(a))).toHaveLength(
      100,
    );
  });
});
