import { QUEUES, type QueueKey } from '../../src/adapters/aws-resources.js';

/*
 * The environment variables through which a function learns where its AWS resources are: the names that
 * `readAwsConfig(env)` in src/entrypoints/container/aws-config.ts reads (test/infra checks that it accepts
 * what the stack sets). Kept apart from that module so that synthesizing loads no SDK and no decorators.
 */

/** Physical table name = this prefix + the logical name of `TABLES`. */
export const TABLE_PREFIX_VARIABLE = 'FEEDRELAY_TABLE_PREFIX';

/** `FEEDRELAY_QUEUE_URL_FETCH_FEED`: the URL of a queue of `QUEUES`. */
export const queueUrlVariable = (key: QueueKey): string =>
  `FEEDRELAY_QUEUE_URL_${QUEUES[key].name.toUpperCase().replace(/-/g, '_')}`;

/** The name of the event bus that discoveries are published to. */
export const EVENT_BUS_VARIABLE = 'FEEDRELAY_EVENT_BUS_NAME';

/** `FEEDRELAY_DLQ_URL_FETCH_FEED`: the URL of the dead-letter queue of a queue of `QUEUES`. */
export const deadLetterQueueUrlVariable = (key: QueueKey): string =>
  `FEEDRELAY_DLQ_URL_${QUEUES[key].name.toUpperCase().replace(/-/g, '_')}`;

/** The KMS key (ARN) that seals and opens webhook secrets: set for the functions that do either. */
export const SECRETS_KEY_VARIABLE = 'FEEDRELAY_SECRETS_KEY_ID';
