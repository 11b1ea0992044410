import { Readable } from 'node:stream';
import { ConfigurationError } from '../../../src/application/errors.js';
import { faultRandom, mulberry32, parseFaults } from '../../../src/entrypoints/local/aws-faults.js';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AwsRequestCounter, countRequests, operationName } from '../../../src/entrypoints/local/aws-request-counter.js';

describe('parseFaults', () => {
  it('reads every fault and the seed', () => {
    expect(parseFaults({ FEEDRELAY_FAULTS: 'aws=0.1, duplicate=0.05,crash=.2,seed=42' })).toEqual({
      aws: 0.1,
      duplicate: 0.05,
      crash: 0.2,
      seed: 42,
    });
  });

  it('means no faults when unset or empty, with a seed picked at random', () => {
    for (const env of [{}, { FEEDRELAY_FAULTS: '' }, { FEEDRELAY_FAULTS: '  ' }]) {
      const faults = parseFaults(env);
      expect(faults).toMatchObject({ aws: 0, duplicate: 0, crash: 0 });
      expect(Number.isSafeInteger(faults.seed)).toBe(true);
    }
  });

  it.each([
    ['aws=1.5', /aws must be a share from 0 to 1, got "1.5"/],
    ['aws=-0.1', /aws must be a share from 0 to 1/],
    ['crash=lots', /crash must be a share from 0 to 1, got "lots"/],
    ['seed=1.5', /seed must be an integer/],
    ['aws', /"aws" is not name=value/],
    ['aws=0.1,aws=0.2', /"aws" is given twice/],
    ['latency=0.1', /unknown fault "latency"/],
    ['aws=0.1,', /"" is not name=value/],
  ])('refuses %s, naming the variable and the problem', (value, problem) => {
    const parsing = () => parseFaults({ FEEDRELAY_FAULTS: value });
    expect(parsing).toThrow(ConfigurationError);
    expect(parsing).toThrow(/FEEDRELAY_FAULTS=/);
    expect(parsing).toThrow(problem);
  });
});

describe('mulberry32', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(draws).size).toBeGreaterThan(990);
  });

  it('gives each kind of fault its own stream', () => {
    const settings = { aws: 0, duplicate: 0, crash: 0, seed: 9 };
    expect(faultRandom(settings, 'aws')()).not.toBe(faultRandom(settings, 'crash')());
  });
});

describe('AwsRequestCounter', () => {
  it('names operations by service and operation', () => {
    expect(operationName('DynamoDBClient', 'QueryCommand')).toBe('dynamodb.Query');
    expect(operationName('SQSClient', 'SendMessageBatchCommand')).toBe('sqs.SendMessageBatch');
    expect(operationName('EventBridgeClient', 'PutEventsCommand')).toBe('eventbridge.PutEvents');
  });

  it('tallies by operation and starts over on reset', () => {
    const counter = new AwsRequestCounter();
    counter.record('sqs.SendMessageBatch');
    counter.record('dynamodb.Query');
    counter.record('dynamodb.Query');

    expect(counter.snapshot()).toEqual({ total: 3, byOperation: { 'dynamodb.Query': 2, 'sqs.SendMessageBatch': 1 } });
    counter.reset();
    expect(counter.snapshot()).toEqual({ total: 0, byOperation: {} });
  });

  it('counts events as EventBridge bills them: one per 64 KB of each entry, whatever the PutEvents', async () => {
    // Prepare: a client whose PutEvents never leaves the process.
    const counter = new AwsRequestCounter();
    const answer = JSON.stringify({ FailedEntryCount: 0, Entries: [] });
    const client = new EventBridgeClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler: {
        handle: async () => ({ response: { statusCode: 200, headers: {}, body: Readable.from([answer]) } }),
      },
    });
    countRequests(client.middlewareStack, counter);
    const entry = (bytes: number) => ({ Source: 's', DetailType: 'd', Detail: 'x'.repeat(bytes) });

    // Act: two calls, three small entries and one of 100 KB.
    await client.send(new PutEventsCommand({ Entries: [entry(10), entry(20)] }));
    await client.send(new PutEventsCommand({ Entries: [entry(10), entry(100 * 1024)] }));

    // Assess
    expect(counter.snapshot().byOperation).toEqual({ 'eventbridge.PutEvents': 2 });
    expect(counter.billedEvents()).toBe(1 + 1 + 1 + 2);
    counter.reset();
    expect(counter.billedEvents()).toBe(0);
  });
});
