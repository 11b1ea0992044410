import { ConfigurationError } from '../../../src/application/errors.js';
import { EventBridgeEventPublisher } from '../../../src/adapters/eventbridge/eventbridge-event-publisher.js';
import { SqsDeadLetters } from '../../../src/adapters/sqs/sqs-dead-letters.js';
import { SqsWorkDispatcher } from '../../../src/adapters/sqs/sqs-work-dispatcher.js';
import { TOKENS } from '../../../src/application/tokens.js';
import { awsModule, QUEUE_URL_ENV, readAwsConfig } from '../../../src/entrypoints/container/aws.module.js';
import { compose } from '../../../src/entrypoints/container/compose.js';

const queueEnv = Object.fromEntries(
  Object.entries(QUEUE_URL_ENV).map(([key, name]) => [name, `https://sqs.eu-west-1.amazonaws.com/123456789012/${key}`]),
);
const env = { ...queueEnv, FEEDRELAY_TABLE_PREFIX: 'prod-', FEEDRELAY_EVENT_BUS_NAME: 'feedrelay' };

describe('readAwsConfig', () => {
  it('reads the table prefix, the queue URLs and the event bus', () => {
    const config = readAwsConfig(env);

    expect(config.tablePrefix).toBe('prod-');
    expect(config.eventBusName).toBe('feedrelay');
    expect(config.queueUrls.fetchFeed).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/fetchFeed');
    expect(QUEUE_URL_ENV.fetchFeed).toBe('FEEDRELAY_QUEUE_URL_FETCH_FEED');
  });

  it.each(['FEEDRELAY_TABLE_PREFIX', 'FEEDRELAY_EVENT_BUS_NAME', 'FEEDRELAY_QUEUE_URL_START_FAN_OUT'])(
    'names %s when it is missing',
    (name) => {
      const reading = () => readAwsConfig({ ...env, [name]: undefined });
      expect(reading).toThrow(ConfigurationError);
      expect(reading).toThrow(`environment variable ${name} is not set`);
    },
  );

  it('reads the dead-letter queues it is told of, each optional', () => {
    // Act
    const none = readAwsConfig(env);
    const one = readAwsConfig({
      ...env,
      FEEDRELAY_DLQ_URL_FETCH_FEED: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fetch-dlq',
    });

    // Assess
    expect(none.deadLetterQueueUrls).toEqual({});
    expect(one.deadLetterQueueUrls).toEqual({
      fetchFeed: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fetch-dlq',
    });
  });

  it('names a dead-letter queue variable that is not a queue URL', () => {
    expect(() => readAwsConfig({ ...env, FEEDRELAY_DLQ_URL_DELIVER: 'deliver-dlq' })).toThrow(
      'environment variable FEEDRELAY_DLQ_URL_DELIVER is not a queue URL: "deliver-dlq"',
    );
  });

  it('keeps articles 90 days and run records 30 unless told otherwise, in whole days', () => {
    expect(readAwsConfig(env).retention).toEqual({ articleSeconds: 90 * 86_400, runSeconds: 30 * 86_400 });
    expect(
      readAwsConfig({ ...env, FEEDRELAY_ARTICLE_RETENTION_DAYS: '7', FEEDRELAY_RUN_RETENTION_DAYS: '2' }).retention,
    ).toEqual({ articleSeconds: 7 * 86_400, runSeconds: 2 * 86_400 });
    expect(() => readAwsConfig({ ...env, FEEDRELAY_ARTICLE_RETENTION_DAYS: '0.5' })).toThrow(
      'environment variable FEEDRELAY_ARTICLE_RETENTION_DAYS must be a whole number of days, got "0.5"',
    );
  });

  it('names a queue URL that is not one', () => {
    expect(() => readAwsConfig({ ...env, FEEDRELAY_QUEUE_URL_DELIVER: 'deliver' })).toThrow(
      /FEEDRELAY_QUEUE_URL_DELIVER is not a queue URL/,
    );
  });

  it('binds the SQS dispatcher and dead letters, and the EventBridge publisher', () => {
    const container = compose(awsModule(readAwsConfig(env)));

    expect(container.get(TOKENS.WorkDispatcher)).toBeInstanceOf(SqsWorkDispatcher);
    expect(container.get(TOKENS.DeadLetters)).toBeInstanceOf(SqsDeadLetters);
    expect(container.get(TOKENS.EventPublisher)).toBeInstanceOf(EventBridgeEventPublisher);
  });
});
