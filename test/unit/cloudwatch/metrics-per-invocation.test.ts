import { pino } from 'pino';
import { QUEUES, type QueueKey } from '../../../src/adapters/aws-resources.js';
import { EmfRelayMetrics, type EmfDocument } from '../../../src/adapters/cloudwatch/emf-relay-metrics.js';
import { AWS_ENV, QUEUE_URL_ENV } from '../../../src/entrypoints/container/aws-config.js';
import {
  onColdStart,
  readLambdaEnvironment,
  type LambdaEnvironment,
} from '../../../src/entrypoints/lambda/cold-start.js';

/** A function environment whose metrics documents land in `written`. */
function anEnvironment(written: EmfDocument[]): LambdaEnvironment {
  const base = readLambdaEnvironment({
    LOG_LEVEL: 'silent',
    [AWS_ENV.tablePrefix]: 'test-',
    [AWS_ENV.eventBusName]: 'test-bus',
    ...Object.fromEntries(
      (Object.keys(QUEUES) as QueueKey[]).map((key) => [QUEUE_URL_ENV[key], `https://sqs.test/${QUEUES[key].name}`]),
    ),
  });
  return {
    ...base,
    logger: pino({ level: 'silent' }),
    metrics: new EmfRelayMetrics('test', (document) => written.push(document)),
  };
}

describe('a Lambda handler built on cold start', () => {
  it('writes one metrics document per invocation, with what that invocation counted', async () => {
    // Prepare
    const written: EmfDocument[] = [];
    const handler = onColdStart(
      ({ metrics }) =>
        async (event: { pages: number }) => {
          for (let page = 0; page < event.pages; page++) metrics.count('RelayPages', 1);
          return event.pages;
        },
      () => anEnvironment(written),
    );

    // Act
    await handler({ pages: 3 });
    await handler({ pages: 1 });

    // Assess
    expect(written.map((document) => [document.Stage, document.RelayPages])).toEqual([
      ['test', 3],
      ['test', 1],
    ]);
  });

  it('writes what a failed invocation counted before it failed, and fails', async () => {
    const written: EmfDocument[] = [];
    const handler = onColdStart(
      ({ metrics }) =>
        async () => {
          metrics.count('FeedsFailed', 2);
          throw new Error('the table is gone');
        },
      () => anEnvironment(written),
    );

    await expect(handler(undefined)).rejects.toThrow('the table is gone');
    expect(written.map((document) => document.FeedsFailed)).toEqual([2]);
  });

  it('builds the handler once, on the first invocation', async () => {
    let builds = 0;
    const handler = onColdStart(
      () => {
        builds++;
        return async () => builds;
      },
      () => anEnvironment([]),
    );

    await handler(undefined);
    await handler(undefined);

    expect(builds).toBe(1);
  });
});
