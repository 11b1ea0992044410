import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { NO_FAULTS } from '../../src/entrypoints/local/aws-faults.js';
import { InProcessEventBus } from '../../src/entrypoints/local/in-process-event-bus.js';
import { SqsWorkDispatcher } from '../../src/adapters/sqs/sqs-work-dispatcher.js';
import { TOKENS } from '../../src/application/tokens.js';
import { articlesDiscovered } from '../../src/domain/crawl-run.js';
import { localModule } from '../../src/entrypoints/local/local-module.js';
import { compose } from '../../src/entrypoints/container/compose.js';
import { parseDiscoveryEnvelope } from '../../src/entrypoints/lambda/handlers.js';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/entrypoints/local/embedded-stack.js';

describe('the embedded stack', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'feedrelay-stack-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps its tables on disk across a restart; its queues start empty', async () => {
    const first = await startEmbeddedStack({ dataDir });
    await first.documentClient.send(
      new PutCommand({ TableName: first.tableNames.feeds, Item: { feedId: 'feed_kept' } }),
    );
    await first.sqs.send(new SendMessageCommand({ QueueUrl: first.queueUrls.fetchFeed, MessageBody: '{}' }));
    await first.stop();

    const second = await startEmbeddedStack({ dataDir });
    try {
      const { Item } = await second.documentClient.send(
        new GetCommand({ TableName: second.tableNames.feeds, Key: { feedId: 'feed_kept' } }),
      );
      const { Attributes } = await second.platformSqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: second.queueUrls.fetchFeed,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      expect(Item).toEqual({ feedId: 'feed_kept' });
      expect(Attributes?.ApproximateNumberOfMessages).toBe('0');
    } finally {
      await second.stop();
    }
  });

  it('counts the requests the adapters send, by service and operation, from a clean tally', async () => {
    const stack = await startEmbeddedStack();
    try {
      expect(stack.counter.snapshot()).toEqual({ total: 0, byOperation: {} });

      await stack.documentClient.send(
        new PutCommand({ TableName: stack.tableNames.runs, Item: { runId: 'r', sk: 'run' } }),
      );
      await stack.documentClient.send(
        new GetCommand({ TableName: stack.tableNames.runs, Key: { runId: 'r', sk: 'run' } }),
      );
      await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrls.deliver, MessageBody: '{}' }));
      await stack.platformSqs.send(new ReceiveMessageCommand({ QueueUrl: stack.queueUrls.deliver }));

      expect(stack.counter.snapshot()).toEqual({
        total: 3,
        byOperation: { 'dynamodb.GetItem': 1, 'dynamodb.PutItem': 1, 'sqs.SendMessage': 1 },
      });
    } finally {
      await stack.stop();
    }
  });

  it('rides out injected AWS faults with the SDK retries, counting only the requests actually sent', async () => {
    const stack = await startEmbeddedStack({ faults: { ...NO_FAULTS, aws: 0.3, seed: 5 } });
    try {
      let attempts = 0;
      for (let i = 0; i < 30; i++) {
        const out = await stack.sqs.send(
          new SendMessageCommand({ QueueUrl: stack.queueUrls.deliver, MessageBody: `${i}` }),
        );
        attempts += out.$metadata.attempts ?? 1;
      }

      expect(attempts).toBeGreaterThan(30);
      expect(stack.counter.snapshot().byOperation['sqs.SendMessage']).toBe(30);
    } finally {
      await stack.stop();
    }
  });
});

describe('the local module', () => {
  let stack: EmbeddedStack;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('binds the SQS dispatcher, the in-process bus and one store instance behind both feed ports', () => {
    const container = compose(localModule(stack));

    expect(container.get(TOKENS.WorkDispatcher)).toBeInstanceOf(SqsWorkDispatcher);
    expect(container.get(TOKENS.EventPublisher)).toBeInstanceOf(InProcessEventBus);
    expect(container.get(TOKENS.FeedPageReader)).toBe(container.get(TOKENS.FeedRepository));
    expect(container.get(TOKENS.SubscriberPageReader)).toBe(container.get(TOKENS.SubscriptionRepository));
  });

  it('routes discoveries to the fan-out queue in their EventBridge envelope, counted as PutEvents', async () => {
    const bus = compose(localModule(stack)).get(TOKENS.EventPublisher);
    const events = Array.from({ length: 12 }, (_, i) =>
      articlesDiscovered(
        'run_bus',
        { id: `feed_${i}`, url: `https://example.com/${i}.xml` },
        [`a${i}`],
        '2026-01-01T00:00:00.000Z',
      ),
    );
    stack.counter.reset();

    await bus.publish(events);

    const received = [];
    for (;;) {
      const { Messages = [] } = await stack.platformSqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.queueUrls.startFanOut,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
        }),
      );
      if (Messages.length === 0) break;
      received.push(...Messages.map((m) => parseDiscoveryEnvelope(m.Body!)));
    }
    expect(received.map((e) => e.eventId).sort()).toEqual(events.map((e) => e.eventId).sort());
    expect(stack.counter.snapshot()).toEqual({ total: 2, byOperation: { 'eventbridge.PutEvents': 2 } });
  });
});
