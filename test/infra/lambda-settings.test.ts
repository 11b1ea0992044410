import { ConfigurationError } from '../../src/application/errors.js';
import { DEFAULT_RELAY_SETTINGS } from '../../src/application/settings.js';
import { readLambdaSettings, RELAY_SETTINGS_ENV } from '../../src/entrypoints/lambda/lambda-settings.js';

describe('readLambdaSettings', () => {
  it('gives the defaults for an environment that sets nothing, and reaches no internal network', () => {
    const settings = readLambdaSettings({});

    expect(settings).toEqual({
      relay: DEFAULT_RELAY_SETTINGS,
      fetch: { allowedNetworks: [] },
      webhook: { timeoutMs: 10_000, allowedNetworks: [] },
    });
  });

  it('takes each relay setting from its variable', () => {
    const settings = readLambdaSettings({
      [RELAY_SETTINGS_ENV.leaseSeconds]: '90',
      [RELAY_SETTINGS_ENV.feedPageSize]: '25',
      FEEDRELAY_FETCH_TIMEOUT_MS: '5000',
      FEEDRELAY_WEBHOOK_TIMEOUT_MS: '3000',
    });

    expect(settings.relay).toEqual({ ...DEFAULT_RELAY_SETTINGS, leaseSeconds: 90, feedPageSize: 25 });
    expect(settings.fetch.timeoutMs).toBe(5000);
    expect(settings.webhook.timeoutMs).toBe(3000);
  });

  it.each(['0', '-1', '1.5', 'ten', '1e400'])('refuses FEEDRELAY_LEASE_SECONDS=%s, naming the variable', (value) => {
    expect(() => readLambdaSettings({ FEEDRELAY_LEASE_SECONDS: value })).toThrow(ConfigurationError);
    expect(() => readLambdaSettings({ FEEDRELAY_LEASE_SECONDS: value })).toThrow('FEEDRELAY_LEASE_SECONDS');
  });

  it('refuses a value the relay settings refuse', () => {
    expect(() => readLambdaSettings({ FEEDRELAY_FEED_PAGE_SIZE: '5000' })).toThrow('page sizes must be at most 1000');
  });

  it('takes the schedule bounds and the host limits from their variables', () => {
    const settings = readLambdaSettings({
      FEEDRELAY_FEED_INTERVAL_SECONDS: '600',
      FEEDRELAY_MAX_FEED_INTERVAL_SECONDS: '21600',
      FEEDRELAY_FEED_HINT_FLOOR_SECONDS: '0',
      FEEDRELAY_MAX_FEED_BACKOFF_SECONDS: '7200',
      FEEDRELAY_HOST_LIMITS: 'example.com=2/1s, slow.example=1',
    });

    expect(settings.relay).toMatchObject({
      feedIntervalSeconds: 600,
      maxFeedIntervalSeconds: 21_600,
      feedHintFloorSeconds: 0,
      maxFeedBackoffSeconds: 7200,
      hostLimits: [
        { host: 'example.com', concurrency: 2, perSeconds: 1 },
        { host: 'slow.example', concurrency: 1 },
      ],
    });
  });

  it('refuses malformed host limits, naming the variable and the entry', () => {
    expect(() => readLambdaSettings({ FEEDRELAY_HOST_LIMITS: 'example.com=fast' })).toThrow(
      /FEEDRELAY_HOST_LIMITS: "example.com=fast"/,
    );
  });

  it('refuses a minimum interval above the maximum', () => {
    expect(() =>
      readLambdaSettings({ FEEDRELAY_FEED_INTERVAL_SECONDS: '7200', FEEDRELAY_MAX_FEED_INTERVAL_SECONDS: '3600' }),
    ).toThrow('must not exceed maxFeedIntervalSeconds');
  });
});
