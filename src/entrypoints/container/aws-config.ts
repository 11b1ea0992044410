import { ConfigurationError } from '../../application/errors.js';
import { QUEUES, type QueueKey } from '../../adapters/aws-resources.js';
import { DEFAULT_RETENTION, type Retention } from '../../adapters/dynamodb/tokens.js';
import type { DeadLetterQueueUrls, QueueUrls } from '../../adapters/sqs/tokens.js';

/*
 * Where a function's AWS resources are, read from its environment. Kept apart from the modules that bind the
 * adapters so that reading the settings loads no SDK client, and the CDK app sets the variables by these
 * same names (infra/constructs/relay-function.ts).
 */

/** The environment variables a Lambda function reads its AWS settings from (set by the CDK app). */
export const AWS_ENV = {
  tablePrefix: 'FEEDRELAY_TABLE_PREFIX',
  eventBusName: 'FEEDRELAY_EVENT_BUS_NAME',
  articleRetentionDays: 'FEEDRELAY_ARTICLE_RETENTION_DAYS',
  runRetentionDays: 'FEEDRELAY_RUN_RETENTION_DAYS',
  secretsKeyId: 'FEEDRELAY_SECRETS_KEY_ID',
} as const;

/** `FEEDRELAY_QUEUE_URL_<QUEUE NAME>`, e.g. `FEEDRELAY_QUEUE_URL_FETCH_FEED` for the `fetch-feed` queue. */
export const QUEUE_URL_ENV: Readonly<Record<QueueKey, string>> = Object.fromEntries(
  (Object.keys(QUEUES) as QueueKey[]).map((key) => [
    key,
    `FEEDRELAY_QUEUE_URL_${QUEUES[key].name.toUpperCase().replace(/-/g, '_')}`,
  ]),
) as Record<QueueKey, string>;

/**
 * `FEEDRELAY_DLQ_URL_<QUEUE NAME>`, e.g. `FEEDRELAY_DLQ_URL_FETCH_FEED`: the dead-letter queue of a queue. Optional:
 * a consumer told its own parks what can never succeed there at once; without it the redrive policy moves it.
 */
export const DEAD_LETTER_QUEUE_URL_ENV: Readonly<Record<QueueKey, string>> = Object.fromEntries(
  (Object.keys(QUEUES) as QueueKey[]).map((key) => [
    key,
    `FEEDRELAY_DLQ_URL_${QUEUES[key].name.toUpperCase().replace(/-/g, '_')}`,
  ]),
) as Record<QueueKey, string>;

export interface AwsConfig {
  /** Physical table name = prefix + logical name (see `TABLES`). */
  readonly tablePrefix: string;
  readonly queueUrls: QueueUrls;
  /** The dead-letter queues the environment names (each optional). */
  readonly deadLetterQueueUrls: DeadLetterQueueUrls;
  readonly eventBusName: string;
  /** How long articles and run records are kept (DynamoDB TTL). */
  readonly retention: Retention;
  /** The KMS key that seals webhook secrets: set only for the functions that seal or open them. */
  readonly secretsKeyId?: string;
}

/** The KMS key of a function that seals or opens secrets; a missing one fails its cold start, naming the variable. */
export function requireSecretsKey(config: AwsConfig): string {
  if (config.secretsKeyId === undefined) {
    throw new ConfigurationError(`environment variable ${AWS_ENV.secretsKeyId} is not set`);
  }
  return config.secretsKeyId;
}

/** Reads the retention (whole days) from the environment; unset keeps the default. */
export function readRetention(env: Readonly<Record<string, string | undefined>>): Retention {
  const days = (name: string, fallbackSeconds: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallbackSeconds;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ConfigurationError(
        `environment variable ${name} must be a whole number of days, got ${JSON.stringify(raw)}`,
      );
    }
    return value * 24 * 60 * 60;
  };
  return {
    articleSeconds: days(AWS_ENV.articleRetentionDays, DEFAULT_RETENTION.articleSeconds),
    runSeconds: days(AWS_ENV.runRetentionDays, DEFAULT_RETENTION.runSeconds),
  };
}

/** Reads and checks the AWS settings once, at cold start; a missing or malformed one names its variable. */
export function readAwsConfig(env: Readonly<Record<string, string | undefined>>): AwsConfig {
  const required = (name: string, allowEmpty = false): string => {
    const value = env[name];
    if (value === undefined || (!allowEmpty && value.trim() === '')) {
      throw new ConfigurationError(`environment variable ${name} is not set`);
    }
    return value.trim();
  };
  const queueUrl = (name: string, value: string): string => {
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      throw new ConfigurationError(`environment variable ${name} is not a queue URL: ${JSON.stringify(value)}`);
    }
    return value;
  };
  const queueUrls = {} as Record<QueueKey, string>;
  const deadLetterQueueUrls: Partial<Record<QueueKey, string>> = {};
  for (const key of Object.keys(QUEUES) as QueueKey[]) {
    queueUrls[key] = queueUrl(QUEUE_URL_ENV[key], required(QUEUE_URL_ENV[key]));
    const deadLetters = env[DEAD_LETTER_QUEUE_URL_ENV[key]]?.trim();
    if (deadLetters) deadLetterQueueUrls[key] = queueUrl(DEAD_LETTER_QUEUE_URL_ENV[key], deadLetters);
  }
  return {
    tablePrefix: required(AWS_ENV.tablePrefix, true),
    queueUrls,
    deadLetterQueueUrls,
    eventBusName: required(AWS_ENV.eventBusName),
    retention: readRetention(env),
    ...(env[AWS_ENV.secretsKeyId]?.trim() ? { secretsKeyId: env[AWS_ENV.secretsKeyId]!.trim() } : {}),
  };
}
