import { Duration } from 'aws-cdk-lib';
import { QUEUES, type QueueKey } from '../src/adapters/aws-resources.js';
import { parseAllowedNetworks } from '../src/adapters/http/network-guard.js';
import { ALLOW_NETWORKS_ENV, RELAY_SETTINGS_ENV } from '../src/entrypoints/lambda/lambda-settings.js';

/** What differs from one deployment (stage) to another; read from CDK context by `readStageSettings`. */
export interface StageSettings {
  /** The stage name: the stack is `FeedRelay` for `default`, else `FeedRelay-<stage>`; the metrics' `Stage`. */
  readonly stage: string;
  readonly stackName: string;
  /** How often the schedule starts a crawl run. */
  readonly crawlRate: Duration;
  /** Concurrent invocations per consumer, over the defaults of `QUEUES`. */
  readonly maxConcurrency: Partial<Record<QueueKey, number>>;
  /** Items per relay page: the environment variables the functions read (`FEEDRELAY_FEED_PAGE_SIZE`, …). */
  readonly functionEnvironment: Readonly<Record<string, string>>;
  /** Networks fetches and webhooks may reach although internal (CIDR ranges or addresses). */
  readonly allowedNetworks: readonly string[];
  /** The address the alarm topic mails, if any. */
  readonly alarmEmail?: string;
  /** Alarm when a queue's oldest message is older than this. */
  readonly oldestMessageAge: Duration;
}

/** The context keys of a stage, each also accepted inside `stages.<name>` of cdk.json. */
export const STAGE_CONTEXT_KEYS = [
  'crawlRateMinutes',
  'maxConcurrency',
  'feedPageSize',
  'subscriberPageSize',
  'allowedNetworks',
  'alarmEmail',
  'oldestMessageAlarmMinutes',
] as const;

type Context = (key: string) => unknown;

/**
 * The settings of the stage `-c stage=NAME` names (default `default`): the defaults, overridden by
 * `context.stages[NAME]` of cdk.json, overridden by any key given with `-c`. A malformed value fails the synth
 * with a message naming its key.
 */
export function readStageSettings(context: Context): StageSettings {
  const stage = stringOf(context('stage'), 'stage') ?? 'default';
  if (!/^[A-Za-z0-9-]{1,32}$/.test(stage)) {
    throw new Error(`context stage must be 1 to 32 letters, digits or "-", got ${JSON.stringify(stage)}`);
  }
  const stages = context('stages') ?? {};
  if (typeof stages !== 'object' || stages === null || Array.isArray(stages)) {
    throw new Error('context stages must be an object of stage names');
  }
  const perStage = ((stages as Record<string, unknown>)[stage] ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(perStage)) {
    if (!(STAGE_CONTEXT_KEYS as readonly string[]).includes(key)) {
      throw new Error(`context stages.${stage}.${key} is not a stage setting (${STAGE_CONTEXT_KEYS.join(', ')})`);
    }
  }
  const get = (key: (typeof STAGE_CONTEXT_KEYS)[number]): unknown => context(key) ?? perStage[key];

  const pageSizes: Record<string, string> = {};
  for (const [key, variable] of [
    ['feedPageSize', RELAY_SETTINGS_ENV.feedPageSize],
    ['subscriberPageSize', RELAY_SETTINGS_ENV.subscriberPageSize],
  ] as const) {
    const size = wholeNumber(get(key), key, 1, 1000);
    if (size !== undefined) pageSizes[variable] = String(size);
  }
  const allowedNetworks = listOf(get('allowedNetworks'), 'allowedNetworks');
  try {
    parseAllowedNetworks(allowedNetworks);
  } catch (cause) {
    throw new Error(`context allowedNetworks: ${(cause as Error).message}`, { cause });
  }
  const alarmEmail = stringOf(get('alarmEmail'), 'alarmEmail');
  return {
    stage,
    stackName: stage === 'default' ? 'FeedRelay' : `FeedRelay-${stage}`,
    crawlRate: Duration.minutes(wholeNumber(get('crawlRateMinutes'), 'crawlRateMinutes', 1, 1440) ?? 15),
    maxConcurrency: concurrencyOf(get('maxConcurrency')),
    functionEnvironment: {
      ...pageSizes,
      ...(allowedNetworks.length > 0 ? { [ALLOW_NETWORKS_ENV]: allowedNetworks.join(',') } : {}),
    },
    allowedNetworks,
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    oldestMessageAge: Duration.minutes(
      wholeNumber(get('oldestMessageAlarmMinutes'), 'oldestMessageAlarmMinutes', 1, 20_160) ?? 30,
    ),
  };
}

/** `-c key=value` gives strings; cdk.json gives JSON values. Both are accepted. */
function wholeNumber(value: unknown, key: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min || number > max) {
    throw new Error(`context ${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

function stringOf(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`context ${key} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value.trim();
}

/** A list: a JSON array, or a comma-separated string. */
function listOf(value: unknown, key: string): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
    throw new Error(
      `context ${key} must be a list of strings or a comma-separated string, got ${JSON.stringify(value)}`,
    );
  }
  return (items as string[]).map((item) => item.trim()).filter(Boolean);
}

/** `{"fetchFeed": 400}` (or its JSON text): each key a queue of `QUEUES`, each value 2 to 1000. */
function concurrencyOf(value: unknown): Partial<Record<QueueKey, number>> {
  if (value === undefined) return {};
  let object = value;
  if (typeof value === 'string') {
    try {
      object = JSON.parse(value);
    } catch {
      throw new Error(`context maxConcurrency must be a JSON object such as {"fetchFeed":400}, got ${value}`);
    }
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new Error(`context maxConcurrency must be an object of queue names, got ${JSON.stringify(value)}`);
  }
  const result: Partial<Record<QueueKey, number>> = {};
  for (const [key, raw] of Object.entries(object)) {
    if (!(key in QUEUES)) {
      throw new Error(`context maxConcurrency.${key} is not a queue (${Object.keys(QUEUES).join(', ')})`);
    }
    result[key as QueueKey] = wholeNumber(raw, `maxConcurrency.${key}`, 2, 1000);
  }
  return result;
}
