import type { SchedulePolicy } from '../domain/schedule.js';
import { ConfigurationError } from './errors.js';
import type { HostLimit } from './host-limits.js';
import { MAX_RECIPIENTS } from './work-messages.js';

/** How the relays and deliveries behave; read once at start, validated, bound as a constant. */
export interface RelaySettings {
  /** Feeds read per scan page. */
  readonly feedPageSize: number;
  /** Feeds one fetch message carries (and one ledger step covers). */
  readonly feedsPerMessage: number;
  /** Fetches at once in one environment (one invocation in Lambda: all the feeds of its batch of messages). */
  readonly fetchConcurrency: number;
  /** Parallel relays over the feed table; 0: derived from the table's size (`feedsPerSegment`). */
  readonly scanSegments: number;
  /** With `scanSegments` 0: one segment for about this many feeds (at most `maxScanSegments`). */
  readonly feedsPerSegment: number;
  readonly maxScanSegments: number;
  /**
   * The shortest wait before a healthy feed is due again, whatever its hints ask for; 0: at every run (unless
   * its server or document asks for longer).
   */
  readonly feedIntervalSeconds: number;
  /** The longest wait before a healthy feed is due again, whatever its `Cache-Control`, `Expires` or `ttl`. */
  readonly maxFeedIntervalSeconds: number;
  /**
   * Hints (`max-age`, `Expires`, `ttl`) asking for a shorter wait than this are not worth a write: the feed stays
   * due at the next run, which the schedule (every 15 minutes) makes no sooner anyway.
   */
  readonly feedHintFloorSeconds: number;
  /** The longest back-off of a failing feed (and of a host that asked to slow down): it is retried at least this often. */
  readonly maxFeedBackoffSeconds: number;
  /** Hosts with a limit of their own (concurrency and rate); every other host has none. */
  readonly hostLimits: readonly HostLimit[];
  /** A run still unfinished this long after its start no longer keeps the next one from starting. */
  readonly runLeaseSeconds: number;
  /**
   * A start resumes an earlier run still unfinished this long after it started: sends again the work of it
   * that was lost (a message dead-lettered or expired, an environment that died). Resuming work that was only
   * slow does nothing twice; it only costs reads.
   */
  readonly resumeAfterSeconds: number;
  /** Subscribers read per fan-out page (one Query, one relay hop). */
  readonly subscriberPageSize: number;
  /** Recipients per deliver message: a page of more subscribers is sent as several messages. */
  readonly recipientsPerDelivery: number;
  /** The relay's own bound on pages per chain, so a runaway loop ends even where the platform would not stop it. */
  readonly maxRelayPages: number;
  /** How long a claimed step is held; at least the handler's time-out, at most the queue's visibility time-out. */
  readonly leaseSeconds: number;
  readonly maxDeliveryAttempts: number;
  /** The first retry waits about this long; each further one twice as long, with jitter, at most 900 s. */
  readonly deliveryBackoffSeconds: number;
  /** Webhook POSTs one deliver message has in flight at once. */
  readonly deliveryConcurrency: number;
  /** A feed's subscriber shards double when its subscriber count passes shards × this. */
  readonly subscribersPerShard: number;
}

/** The settings that are numbers (all of them but `hostLimits`). */
export type NumericRelaySetting = Exclude<keyof RelaySettings, 'hostLimits'>;

export const DEFAULT_RELAY_SETTINGS: RelaySettings = {
  feedPageSize: 250,
  feedsPerMessage: 25,
  fetchConcurrency: 32,
  scanSegments: 0,
  feedsPerSegment: 10_000,
  maxScanSegments: 1_000,
  feedIntervalSeconds: 0,
  maxFeedIntervalSeconds: 24 * 60 * 60,
  feedHintFloorSeconds: 15 * 60,
  maxFeedBackoffSeconds: 24 * 60 * 60,
  hostLimits: [],
  runLeaseSeconds: 4 * 60 * 60,
  resumeAfterSeconds: 15 * 60,
  subscriberPageSize: 1000,
  recipientsPerDelivery: 100,
  maxRelayPages: 1_000_000,
  leaseSeconds: 60,
  maxDeliveryAttempts: 8,
  deliveryBackoffSeconds: 30,
  deliveryConcurrency: 32,
  subscribersPerShard: 100_000,
};

/** How many parallel relays scan a table of about `feeds` feeds. */
export function segmentsFor(settings: RelaySettings, feeds: number | undefined): number {
  if (settings.scanSegments > 0) return settings.scanSegments;
  const wanted = Math.ceil((feeds ?? 0) / settings.feedsPerSegment);
  return Math.max(1, Math.min(settings.maxScanSegments, wanted));
}

export function relaySettings(overrides: Partial<RelaySettings> = {}): RelaySettings {
  const settings = { ...DEFAULT_RELAY_SETTINGS, ...overrides };
  const mayBeZero = new Set(['scanSegments', 'feedIntervalSeconds', 'feedHintFloorSeconds', 'resumeAfterSeconds']);
  for (const [name, value] of Object.entries(settings)) {
    if (name === 'hostLimits') {
      if (!Array.isArray(value)) throw new ConfigurationError('setting hostLimits must be a list of host limits');
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !mayBeZero.has(name))) {
      throw new ConfigurationError(`setting ${name} must be a positive number, got ${JSON.stringify(value)}`);
    }
  }
  const wholeNumbers = [
    'feedPageSize',
    'subscriberPageSize',
    'recipientsPerDelivery',
    'maxRelayPages',
    'maxDeliveryAttempts',
    'deliveryConcurrency',
    'subscribersPerShard',
    'feedsPerMessage',
    'fetchConcurrency',
    'scanSegments',
    'feedsPerSegment',
    'maxScanSegments',
  ] as const;
  for (const name of wholeNumbers) {
    if (!Number.isInteger(settings[name])) {
      throw new ConfigurationError(`setting ${name} must be a whole number, got ${settings[name]}`);
    }
  }
  if (settings.feedPageSize > 1000 || settings.subscriberPageSize > 1000) {
    throw new ConfigurationError('page sizes must be at most 1000');
  }
  if (settings.feedsPerMessage > 100) throw new ConfigurationError('feedsPerMessage must be at most 100');
  if (settings.scanSegments > 1_000_000 || settings.maxScanSegments > 1_000_000) {
    throw new ConfigurationError('DynamoDB allows at most 1,000,000 scan segments');
  }
  if (settings.feedIntervalSeconds > settings.maxFeedIntervalSeconds) {
    throw new ConfigurationError(
      `setting feedIntervalSeconds (${settings.feedIntervalSeconds}) must not exceed maxFeedIntervalSeconds (${settings.maxFeedIntervalSeconds})`,
    );
  }
  if (settings.recipientsPerDelivery > MAX_RECIPIENTS) {
    throw new ConfigurationError(`setting recipientsPerDelivery must be at most ${MAX_RECIPIENTS}`);
  }
  return settings;
}

/** The schedule bounds of the settings, as the domain's rules take them. */
export function schedulePolicyOf(settings: RelaySettings): SchedulePolicy {
  return {
    minIntervalSeconds: settings.feedIntervalSeconds,
    maxIntervalSeconds: settings.maxFeedIntervalSeconds,
    hintFloorSeconds: settings.feedHintFloorSeconds,
    maxBackoffSeconds: settings.maxFeedBackoffSeconds,
  };
}
