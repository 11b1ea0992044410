import { ConfigurationError } from '../../src/application/errors.js';
import { QUEUES } from '../../src/adapters/aws-resources.js';
import { DEFAULT_HTTP_FETCH_OPTIONS, MAX_IDLE_FEED_CONNECTIONS } from '../../src/adapters/http/http-feed-fetcher.js';
import { DEFAULT_RELAY_SETTINGS } from '../../src/application/settings.js';
import {
  LAMBDA_RELAY_DEFAULTS,
  readLambdaSettings,
  RELAY_SETTINGS_ENV,
} from '../../src/entrypoints/lambda/lambda-settings.js';

const MIB = 1024 * 1024;

describe('readLambdaSettings', () => {
  it('gives the defaults for an environment that sets nothing, and reaches no internal network', () => {
    const settings = readLambdaSettings({});

    expect(settings).toEqual({
      relay: { ...DEFAULT_RELAY_SETTINGS, ...LAMBDA_RELAY_DEFAULTS },
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

    expect(settings.relay).toEqual({
      ...DEFAULT_RELAY_SETTINGS,
      ...LAMBDA_RELAY_DEFAULTS,
      leaseSeconds: 90,
      feedPageSize: 25,
    });
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

  it('lets fetches and webhooks reach the networks FEEDRELAY_ALLOW_NETWORKS names', () => {
    const settings = readLambdaSettings({ FEEDRELAY_ALLOW_NETWORKS: '10.0.0.0/8, fd00::/8' });

    expect(settings.fetch.allowedNetworks).toEqual(['10.0.0.0/8', 'fd00::/8']);
    expect(settings.webhook.allowedNetworks).toEqual(['10.0.0.0/8', 'fd00::/8']);
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

describe('the Lambda defaults', () => {
  const relay = readLambdaSettings({}).relay;
  const feedsPerInvocation = QUEUES.fetchFeed.batchSize * relay.feedsPerMessage;

  it('fetch 200 feeds at a time in a Lambda environment, and 32 on the embedded stack', () => {
    expect(relay.fetchConcurrency).toBe(200);
    expect(DEFAULT_RELAY_SETTINGS.fetchConcurrency).toBe(32);
  });

  it('hold the bodies of the fetches under way in a quarter of the fetch function’s memory, by the byte budget', () => {
    // The budget, plus one body (which may read on past it), plus a 64 KiB chunk per fetch under way.
    const bodies =
      DEFAULT_HTTP_FETCH_OPTIONS.maxBytesAtOnce +
      DEFAULT_HTTP_FETCH_OPTIONS.maxBytes +
      relay.fetchConcurrency * 64 * 1024;

    expect(bodies).toBeLessThanOrEqual((QUEUES.fetchFeed.memoryMb * MIB) / 4);
    // Without the budget, every fetch at the size cap would not fit.
    expect(relay.fetchConcurrency * DEFAULT_HTTP_FETCH_OPTIONS.maxBytes).toBeGreaterThan(
      (QUEUES.fetchFeed.memoryMb * MIB) / 2,
    );
  });

  it('fetch an invocation’s feeds in rounds that end within its time-out, however slow every server is', () => {
    const rounds = Math.ceil(feedsPerInvocation / relay.fetchConcurrency);

    expect(feedsPerInvocation).toBe(1000);
    expect(rounds * DEFAULT_HTTP_FETCH_OPTIONS.timeoutMs).toBeLessThan(QUEUES.fetchFeed.functionTimeoutSeconds * 1000);
  });

  it('deliver a message’s recipients in rounds that end within the deliver time-out, however slow every webhook is', () => {
    const settings = readLambdaSettings({});
    const rounds = Math.ceil(relay.recipientsPerDelivery / relay.deliveryConcurrency);

    expect(rounds * settings.webhook.timeoutMs).toBeLessThan(QUEUES.deliver.functionTimeoutSeconds * 1000);
    // A fan-out page that delivers its lone part itself has the same part to deliver, within its own time-out.
    expect(rounds * settings.webhook.timeoutMs).toBeLessThan(QUEUES.startFanOut.functionTimeoutSeconds * 1000);
    expect(rounds * settings.webhook.timeoutMs).toBeLessThan(QUEUES.scanSubscribers.functionTimeoutSeconds * 1000);
  });

  it('keep an invocation’s connections under Lambda’s 1,024 file descriptors, with room for the SDK’s', () => {
    // The fetches under way, and the connections kept for the next feed of their host.
    expect(relay.fetchConcurrency + MAX_IDLE_FEED_CONNECTIONS).toBeLessThanOrEqual(800);
    expect(QUEUES.deliver.batchSize * relay.deliveryConcurrency).toBeLessThanOrEqual(800);
    // A fan-out page delivers its lone part itself: start-fan-out's batch of discoveries, each one part at once.
    expect(QUEUES.startFanOut.batchSize * relay.deliveryConcurrency).toBeLessThanOrEqual(800);
    expect(QUEUES.scanSubscribers.batchSize * relay.deliveryConcurrency).toBeLessThanOrEqual(800);
  });
});
