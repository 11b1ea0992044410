import { ConfigurationError } from '../../../src/application/errors.js';
import { DEFAULT_RELAY_SETTINGS, relaySettings, type RelaySettings } from '../../../src/application/settings.js';

function refusal(overrides: Partial<RelaySettings>): ConfigurationError {
  try {
    relaySettings(overrides);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(overrides)} was accepted`);
}

/** Settings where 0 has a meaning (derive from size, due at every run). */
const ZERO_MEANS_SOMETHING = new Set<keyof RelaySettings>([
  'scanSegments',
  'feedIntervalSeconds',
  'resumeAfterSeconds',
  'feedHintFloorSeconds',
]);
const NAMES = (Object.keys(DEFAULT_RELAY_SETTINGS) as (keyof RelaySettings)[]).filter(
  (name) => !ZERO_MEANS_SOMETHING.has(name) && name !== 'hostLimits',
);

describe('relaySettings', () => {
  it('gives the defaults when nothing is set', () => {
    expect(relaySettings()).toEqual(DEFAULT_RELAY_SETTINGS);
  });

  it('takes what is set and keeps the defaults for the rest', () => {
    // Act
    const settings = relaySettings({ feedPageSize: 25, maxDeliveryAttempts: 3 });

    // Assess
    expect(settings).toEqual({ ...DEFAULT_RELAY_SETTINGS, feedPageSize: 25, maxDeliveryAttempts: 3 });
  });

  it.each(NAMES)('refuses a %s that is not a positive number, naming the setting and the value', (name) => {
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
      // Act
      const error = refusal({ [name]: bad });

      // Assess
      expect(error.code).toBe('invalid_configuration');
      expect(error.message).toBe(`setting ${name} must be a positive number, got ${JSON.stringify(bad)}`);
    }
  });

  it.each([...ZERO_MEANS_SOMETHING])('takes 0 for %s and refuses what is not a whole number', (name) => {
    expect(relaySettings({ [name]: 0 })[name]).toBe(0);
    for (const bad of [-5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(refusal({ [name]: bad }).message).toBe(
        `setting ${name} must be a positive number, got ${JSON.stringify(bad)}`,
      );
    }
  });

  it('refuses a setting given as undefined rather than left out', () => {
    expect(refusal({ leaseSeconds: undefined }).message).toContain('setting leaseSeconds must be a positive number');
  });

  it.each(['feedPageSize', 'subscriberPageSize'] as const)('accepts a %s of up to 1000 and refuses more', (name) => {
    expect(relaySettings({ [name]: 1000 })[name]).toBe(1000);
    expect(refusal({ [name]: 1001 }).message).toBe('page sizes must be at most 1000');
  });

  it('accepts up to 1000 recipients per delivery and refuses more, naming the setting', () => {
    expect(relaySettings({ recipientsPerDelivery: 1000 }).recipientsPerDelivery).toBe(1000);
    expect(refusal({ recipientsPerDelivery: 1001 }).message).toBe('setting recipientsPerDelivery must be at most 1000');
  });

  // Bug: only positivity is checked, so a fractional count passes (DynamoDB refuses a Limit of 2.5 at run time).
  it.each([
    'feedPageSize',
    'subscriberPageSize',
    'maxRelayPages',
    'maxDeliveryAttempts',
    'recipientsPerDelivery',
    'deliveryConcurrency',
    'subscribersPerShard',
  ] as const)('refuses a %s that is not a whole number, naming it', (name) => {
    expect(refusal({ [name]: 2.5 }).message).toContain(name);
  });
});
