import { ConfigurationError } from './errors.js';
import { MAX_RECIPIENTS } from './work-messages.js';

/** How the relays and deliveries behave; read once at start, validated, bound as a constant. */
export interface RelaySettings {
  /** Feeds read per scan page. */
  readonly feedPageSize: number;
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

export const DEFAULT_RELAY_SETTINGS: RelaySettings = {
  feedPageSize: 100,
  subscriberPageSize: 1000,
  recipientsPerDelivery: 100,
  maxRelayPages: 1_000_000,
  leaseSeconds: 60,
  maxDeliveryAttempts: 8,
  deliveryBackoffSeconds: 30,
  deliveryConcurrency: 32,
  subscribersPerShard: 100_000,
};

export function relaySettings(overrides: Partial<RelaySettings> = {}): RelaySettings {
  const settings = { ...DEFAULT_RELAY_SETTINGS, ...overrides };
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isFinite(value) || value <= 0) {
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
  ] as const;
  for (const name of wholeNumbers) {
    if (!Number.isInteger(settings[name])) {
      throw new ConfigurationError(`setting ${name} must be a whole number, got ${settings[name]}`);
    }
  }
  if (settings.feedPageSize > 1000 || settings.subscriberPageSize > 1000) {
    throw new ConfigurationError('page sizes must be at most 1000');
  }
  if (settings.recipientsPerDelivery > MAX_RECIPIENTS) {
    throw new ConfigurationError(`setting recipientsPerDelivery must be at most ${MAX_RECIPIENTS}`);
  }
  return settings;
}
