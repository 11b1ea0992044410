import type { Container } from 'inversify';
import { QUEUES, type QueueKey } from '../../src/adapters/aws-resources.js';
import { DeliverBatch } from '../../src/application/use-cases/deliver-batch.js';
import { FetchFeeds } from '../../src/application/use-cases/fetch-feeds.js';
import { ScanFeedsPage } from '../../src/application/use-cases/scan-feeds-page.js';
import { ScanSubscribersPage } from '../../src/application/use-cases/scan-subscribers-page.js';
import { StartCrawlRun } from '../../src/application/use-cases/start-crawl-run.js';
import { StartFanOut } from '../../src/application/use-cases/start-fan-out.js';
import { TOKENS } from '../../src/application/tokens.js';
import { AWS_ENV, QUEUE_URL_ENV } from '../../src/entrypoints/container/aws-config.js';
import { readLambdaEnvironment, type LambdaEnvironment } from '../../src/entrypoints/lambda/cold-start.js';
import { API_USE_CASES, composeApi } from '../../src/entrypoints/lambda/api.js';
import { composeDeliver } from '../../src/entrypoints/lambda/deliver.js';
import { composeFetchFeed } from '../../src/entrypoints/lambda/fetch-feed.js';
import { composeScanFeeds } from '../../src/entrypoints/lambda/scan-feeds.js';
import { composeScanSubscribers } from '../../src/entrypoints/lambda/scan-subscribers.js';
import { composeStartCrawl } from '../../src/entrypoints/lambda/start-crawl.js';
import { composeStartFanOut, handler as startFanOut } from '../../src/entrypoints/lambda/start-fan-out.js';
import { LocalSecretCipher } from '../../src/adapters/crypto/local-secret-cipher.js';
import { aSubscriptionRecord } from '../support/mothers.js';

/** What the stack sets in every function's environment (see `RelayFunction.addResourceLocations`). */
const FUNCTION_ENV: Record<string, string> = {
  AWS_REGION: 'eu-west-1',
  LOG_LEVEL: 'silent',
  [AWS_ENV.tablePrefix]: 'feedrelay-test-',
  [AWS_ENV.eventBusName]: 'feedrelay-test-bus',
  [AWS_ENV.secretsKeyId]: 'arn:aws:kms:eu-west-1:123456789012:key/secrets',
  ...Object.fromEntries(
    (Object.keys(QUEUES) as QueueKey[]).map((key) => [
      QUEUE_URL_ENV[key],
      `https://sqs.eu-west-1.amazonaws.com/123456789012/feedrelay-test-${QUEUES[key].name}`,
    ]),
  ),
};

type Entry = [string, (environment: LambdaEnvironment) => Container, abstract new (...args: never[]) => unknown];

const ENTRIES: Entry[] = [
  ['start-crawl', composeStartCrawl, StartCrawlRun],
  ['scan-feeds', composeScanFeeds, ScanFeedsPage],
  ['fetch-feed', composeFetchFeed, FetchFeeds],
  ['start-fan-out', composeStartFanOut, StartFanOut],
  ['scan-subscribers', composeScanSubscribers, ScanSubscribersPage],
  ['deliver', composeDeliver, DeliverBatch],
  // The management API resolves each of its routes' use cases from one container.
  ...API_USE_CASES.map((useCase): Entry => [`api (${useCase.name})`, composeApi, useCase]),
];

describe('the Lambda compositions', () => {
  it.each(ENTRIES)('%s composes its use case from the modules it loads', (_, compose, useCase) => {
    // Prepare
    const environment = readLambdaEnvironment(FUNCTION_ENV);

    // Act
    const container = compose(environment);

    // Assess: every port the use case injects is bound (no SDK call is made to build the adapters).
    expect(container.get(useCase)).toBeInstanceOf(useCase);
  });

  it('fails the deliver composition, naming the variable, without the secrets key', () => {
    const { [AWS_ENV.secretsKeyId]: _key, ...withoutKey } = FUNCTION_ENV;

    expect(() => composeDeliver(readLambdaEnvironment(withoutKey))).toThrow(/FEEDRELAY_SECRETS_KEY_ID is not set/);
  });

  it('builds the handler on the first invocation from the function environment', async () => {
    // Prepare
    const saved = { ...process.env };
    Object.assign(process.env, FUNCTION_ENV);

    try {
      // Act: a record that is not a discovery is rejected before any request is sent.
      const response = await startFanOut({ Records: [{ messageId: 'm1', body: 'not json' }] });

      // Assess
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    } finally {
      for (const name of Object.keys(FUNCTION_ENV)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it('loads the SQS sink of deliver on first use, as the local app composes it', async () => {
    // Prepare: a queue URL outside SQS, which the sink refuses before it sends anything.
    const sinks = composeDeliver(readLambdaEnvironment(FUNCTION_ENV)).getAll(TOKENS.NotificationSink);
    const sqsSink = sinks.find((sink) => sink.kind === 'sqs');
    const subscription = aSubscriptionRecord({ sink: { kind: 'sqs', url: 'https://queues.example.net/q' } });

    // Act
    const result = await sqsSink?.deliver({
      id: 'msg_1',
      subscription,
      feed: { id: subscription.feedId, url: subscription.feedUrl },
      articles: [],
      attempt: 1,
    });

    // Assess
    expect(sinks.map((sink) => sink.kind).sort()).toEqual(['sqs', 'webhook']);
    expect(result).toEqual({
      kind: 'rejected',
      reason: 'https://queues.example.net is not an SQS endpoint (https://sqs.REGION.amazonaws.com)',
    });
  });

  it('opens the webhook secrets of deliver with the KMS cipher, loaded on first use', async () => {
    // Prepare: secrets that open (or fail) before any KMS request: a plain one, and one sealed by a local key.
    const cipher = composeDeliver(readLambdaEnvironment(FUNCTION_ENV)).get(TOKENS.SecretCipher);
    const sealedLocally = await LocalSecretCipher.ephemeral().seal('whsec_c2VjcmV0', 'sub_1');

    // Act
    const plain = await cipher.open('whsec_c2VjcmV0', 'sub_1');
    const foreign = cipher.open(sealedLocally, 'sub_1');

    // Assess
    expect(plain).toBe('whsec_c2VjcmV0');
    await expect(foreign).rejects.toThrow('the secret of subscription sub_1 was sealed by a local key');
  });
});
