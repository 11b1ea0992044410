import { ConfigurationError } from '../../application/errors.js';
import { parseHostLimits } from '../../application/host-limits.js';
import { relaySettings, type NumericRelaySetting, type RelaySettings } from '../../application/settings.js';
import type { HttpFetchOptions } from '../../adapters/http/tokens.js';
import type { WebhookOptions } from '../../adapters/webhook/webhook-notification-sink.js';

/** The environment variable behind each relay setting; an unset variable keeps the default. */
export const RELAY_SETTINGS_ENV = {
  feedPageSize: 'FEEDRELAY_FEED_PAGE_SIZE',
  subscriberPageSize: 'FEEDRELAY_SUBSCRIBER_PAGE_SIZE',
  recipientsPerDelivery: 'FEEDRELAY_RECIPIENTS_PER_DELIVERY',
  maxRelayPages: 'FEEDRELAY_MAX_RELAY_PAGES',
  leaseSeconds: 'FEEDRELAY_LEASE_SECONDS',
  maxDeliveryAttempts: 'FEEDRELAY_MAX_DELIVERY_ATTEMPTS',
  deliveryBackoffSeconds: 'FEEDRELAY_DELIVERY_BACKOFF_SECONDS',
  feedsPerMessage: 'FEEDRELAY_FEEDS_PER_MESSAGE',
  fetchConcurrency: 'FEEDRELAY_FETCH_CONCURRENCY',
  scanSegments: 'FEEDRELAY_SCAN_SEGMENTS',
  feedsPerSegment: 'FEEDRELAY_FEEDS_PER_SEGMENT',
  maxScanSegments: 'FEEDRELAY_MAX_SCAN_SEGMENTS',
  feedIntervalSeconds: 'FEEDRELAY_FEED_INTERVAL_SECONDS',
  maxFeedIntervalSeconds: 'FEEDRELAY_MAX_FEED_INTERVAL_SECONDS',
  feedHintFloorSeconds: 'FEEDRELAY_FEED_HINT_FLOOR_SECONDS',
  maxFeedBackoffSeconds: 'FEEDRELAY_MAX_FEED_BACKOFF_SECONDS',
  runLeaseSeconds: 'FEEDRELAY_RUN_LEASE_SECONDS',
  resumeAfterSeconds: 'FEEDRELAY_RESUME_AFTER_SECONDS',
  deliveryConcurrency: 'FEEDRELAY_DELIVERY_CONCURRENCY',
  subscribersPerShard: 'FEEDRELAY_SUBSCRIBERS_PER_SHARD',
} as const satisfies Record<NumericRelaySetting, string>;

/**
 * Where a Lambda's defaults differ from the embedded stack's (`DEFAULT_RELAY_SETTINGS`, which runs every
 * invocation in one process): an invocation does as much as its time-out, memory and 1,024 file descriptors
 * allow, because the SQS event sources add concurrency slowly (README, "Sized for scale").
 * - fetch: a batch of 40 messages (`QUEUES`), 1,000 feeds, 200 fetched at a time: five rounds of at most the
 *   fetch time-out (10 s) within 90 s; their bodies hold at most the fetcher's byte budget (128 MiB, plus the
 *   one body) in 1,024 MB, where 200 bodies of up to 5 MiB would be 1,000 MiB.
 * - deliver: a batch of 32 messages of 250 recipients, 8,000, each message 25 POSTs at a time (800 at once):
 *   ten rounds of at most the webhook time-out (10 s) within 120 s.
 */
export const LAMBDA_RELAY_DEFAULTS: Partial<RelaySettings> = {
  fetchConcurrency: 200,
  recipientsPerDelivery: 250,
  deliveryConcurrency: 25,
};

/** The relay settings a Lambda runs under: its defaults (`LAMBDA_RELAY_DEFAULTS`), then `overrides`, validated. */
export function lambdaRelaySettings(overrides: Partial<RelaySettings> = {}): RelaySettings {
  return relaySettings({ ...LAMBDA_RELAY_DEFAULTS, ...overrides });
}

/** Hosts with a limit of their own: `host=N` (N at once) or `host=N/DURATION` (and N per DURATION), comma-separated. */
export const HOST_LIMITS_ENV = 'FEEDRELAY_HOST_LIMITS';

/**
 * The relay settings the environment sets (each number checked as a whole number, the host limits as
 * `host=N/DURATION`); the rest keep their defaults.
 */
export function relaySettingsFromEnv(env: NodeJS.ProcessEnv): Partial<RelaySettings> {
  const overrides: Partial<Record<NumericRelaySetting, number>> = {};
  for (const [setting, name] of Object.entries(RELAY_SETTINGS_ENV) as [NumericRelaySetting, string][]) {
    const value = wholeNumber(env, name, ZERO_ALLOWED.has(setting) ? 0 : 1);
    if (value !== undefined) overrides[setting] = value;
  }
  const hostLimits = env[HOST_LIMITS_ENV]?.trim() ? parseHostLimits(env[HOST_LIMITS_ENV], HOST_LIMITS_ENV) : undefined;
  return { ...overrides, ...(hostLimits !== undefined ? { hostLimits } : {}) };
}

/** Settings where 0 means something (auto, every run, every hint, at once) rather than nothing. */
const ZERO_ALLOWED: ReadonlySet<NumericRelaySetting> = new Set([
  'scanSegments',
  'feedIntervalSeconds',
  'feedHintFloorSeconds',
  'resumeAfterSeconds',
]);

/** The variable naming the stage (the stack) a function belongs to: the `Stage` dimension of its metrics. */
export const STAGE_VARIABLE = 'FEEDRELAY_STAGE';

/** Comma-separated CIDR ranges or addresses that fetches and webhooks may reach although internal. */
export const ALLOW_NETWORKS_ENV = 'FEEDRELAY_ALLOW_NETWORKS';

export const FETCH_TIMEOUT_ENV = 'FEEDRELAY_FETCH_TIMEOUT_MS';
export const FETCH_MAX_BYTES_ENV = 'FEEDRELAY_FETCH_MAX_BYTES';
export const WEBHOOK_TIMEOUT_ENV = 'FEEDRELAY_WEBHOOK_TIMEOUT_MS';

const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** What a Lambda runs under besides its AWS resources: read once per cold start, validated. */
export interface LambdaSettings {
  readonly relay: RelaySettings;
  readonly fetch: HttpFetchOptions;
  readonly webhook: WebhookOptions;
}

/**
 * Reads the settings from the function's environment. A malformed value fails the cold start with a message
 * that names its variable. Fetches and webhooks reach no internal network unless `FEEDRELAY_ALLOW_NETWORKS`
 * names it (the stage's `allowedNetworks`).
 */
export function readLambdaSettings(env: NodeJS.ProcessEnv): LambdaSettings {
  const overrides = relaySettingsFromEnv(env);
  let relay: RelaySettings;
  try {
    relay = lambdaRelaySettings(overrides);
  } catch (cause) {
    throw new ConfigurationError(`relay settings from the environment: ${(cause as Error).message}`, { cause });
  }

  const timeoutMs = positiveInteger(env, FETCH_TIMEOUT_ENV);
  const maxBytes = positiveInteger(env, FETCH_MAX_BYTES_ENV);
  const allowedNetworks = networksOf(env);
  return {
    relay,
    fetch: {
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(maxBytes !== undefined ? { maxBytes } : {}),
      allowedNetworks,
    },
    webhook: {
      timeoutMs: positiveInteger(env, WEBHOOK_TIMEOUT_ENV) ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
      allowedNetworks,
    },
  };
}

/**
 * The allowed networks of `FEEDRELAY_ALLOW_NETWORKS`; none when unset. The fetcher and the webhook sink check
 * each entry when they are built (a malformed one fails the cold start naming it), so that a function with
 * neither does not bundle the network guard; the stack checks them at synthesis.
 */
function networksOf(env: NodeJS.ProcessEnv): string[] {
  return (env[ALLOW_NETWORKS_ENV] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  return wholeNumber(env, name, 1);
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: 0 | 1): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    const what = min === 0 ? 'a whole number (0 or more)' : 'a positive integer';
    throw new ConfigurationError(`${name} must be ${what}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
