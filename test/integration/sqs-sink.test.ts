/**
 * The SQS sink against the embedded stack's SQS (fauxqs): what a subscriber's queue receives, FIFO
 * deduplication, refusals; then whole crawls that deliver to a queue subscriber and, beside it, to a webhook
 * whose secret was rotated (both signatures during the grace), with no secret stored in plain text.
 */
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FixedClock } from '../support/memory/fixed-clock.js';
import { SqsNotificationSink } from '../../src/adapters/sqs/sqs-notification-sink.js';
import { webhookBody } from '../../src/adapters/webhook/webhook-payload.js';
import type { Notification } from '../../src/application/ports/notification-sink.port.js';
import { RotateSubscriptionSecret } from '../../src/application/use-cases/rotate-subscription-secret.js';
import { Subscribe } from '../../src/application/use-cases/subscribe.js';
import { runCrawl } from '../../src/entrypoints/local/run-crawl.js';
import {
  localQueueOrigins,
  startEmbeddedStack,
  type EmbeddedStack,
} from '../../src/entrypoints/local/embedded-stack.js';
import { SECRET_KEY_FILE, type LocalApp } from '../../src/entrypoints/local/local-app.js';
import { WebhookReceiver } from '../../src/entrypoints/local/webhook-receiver.js';
import { aSubscription } from '../support/mothers.js';
import { CountingFeedServer, newSecret, openApp, removeDir, settleRun, tempDir } from './crawl-support.js';

async function createQueue(sqs: SQSClient, name: string): Promise<string> {
  const fifo = name.endsWith('.fifo');
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, ...(fifo ? { Attributes: { FifoQueue: 'true' } } : {}) }),
  );
  return QueueUrl!;
}

/** Every message the queue holds now, received and deleted. */
async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
    // Deleted as taken: a FIFO queue hands out a group's next message only after the one before is gone.
    for (const m of Messages)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  }
}

function aNotification(queueUrl: string, id = 'msg_0123456789abcdef'): Notification {
  const subscription = {
    ...aSubscription('https://feeds.example.com/a.xml', 1),
    sink: { kind: 'sqs' as const, url: queueUrl },
  };
  return {
    id,
    subscription,
    feed: { id: subscription.feedId, url: 'https://feeds.example.com/a.xml', title: 'A' },
    articles: [
      {
        id: 'a1',
        guid: 'g1',
        title: 'First',
        feedId: subscription.feedId,
        firstSeenAt: '2026-01-01T00:00:00.000Z',
        firstSeenRunId: 'run_1',
      },
    ],
    attempt: 1,
  };
}

describe('SqsNotificationSink on the embedded stack', () => {
  let stack: EmbeddedStack;
  let sink: SqsNotificationSink;
  const clock = new FixedClock(new Date('2026-03-01T12:00:00Z'));

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    sink = new SqsNotificationSink({ localOrigins: localQueueOrigins(stack), clientFor: () => stack.sqs }, clock);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('sends the webhook body as the message body, with the webhook-id and timestamp as attributes', async () => {
    // Prepare
    const queueUrl = await createQueue(stack.platformSqs, 'subscriber-standard');
    const notification = aNotification(queueUrl);

    // Act
    const result = await sink.deliver(notification);

    // Assess
    expect(result).toEqual({ kind: 'delivered' });
    const [message, ...more] = await receiveAll(stack.platformSqs, queueUrl);
    expect(more).toEqual([]);
    expect(message!.Body).toBe(webhookBody(notification));
    expect(message!.MessageAttributes).toMatchObject({
      'webhook-id': { DataType: 'String', StringValue: 'msg_0123456789abcdef' },
      'webhook-timestamp': { DataType: 'Number', StringValue: String(Date.parse('2026-03-01T12:00:00Z') / 1000) },
    });
  });

  it('sends a retry of the same notification to a FIFO queue once: the webhook-id deduplicates', async () => {
    // Prepare
    const queueUrl = await createQueue(stack.platformSqs, 'subscriber-ordered.fifo');

    // Act
    const first = await sink.deliver(aNotification(queueUrl));
    const retry = await sink.deliver({ ...aNotification(queueUrl), attempt: 2 });
    const other = await sink.deliver(aNotification(queueUrl, 'msg_fedcba9876543210'));

    // Assess
    expect([first, retry, other]).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }, { kind: 'delivered' }]);
    const ids = (await receiveAll(stack.platformSqs, queueUrl)).map(
      (m) => m.MessageAttributes!['webhook-id']!.StringValue,
    );
    expect(ids.sort()).toEqual(['msg_0123456789abcdef', 'msg_fedcba9876543210']);
  });

  it('rejects a queue that does not exist', async () => {
    const missing = `${new URL(stack.endpoints.sqs).origin}/000000000000/no-such-queue`;

    const result = await sink.deliver(aNotification(missing));

    expect(result).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^SQS /) });
  });

  it('rejects, without a request, a queue URL that is not an SQS endpoint', async () => {
    const before = stack.counter.snapshot().total;

    const results = await Promise.all(
      [
        'http://169.254.169.254/123456789012/q',
        'https://sqs.eu-west-1.amazonaws.com.evil.example/123456789012/q',
        'http://sqs.eu-west-1.amazonaws.com/123456789012/q',
      ].map((url) => sink.deliver(aNotification(url))),
    );

    expect(results.every((r) => r.kind === 'rejected' && /is not an SQS endpoint/.test(r.reason))).toBe(true);
    expect(stack.counter.snapshot().total).toBe(before);
  });

  it('retries when SQS throttles, and picks the client of the queue’s region', async () => {
    // Prepare
    const regions: (string | undefined)[] = [];
    const throttled = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    throttled.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        });
      },
      { step: 'initialize', name: 'throttle' },
    );
    const aws = new SqsNotificationSink(
      {
        localOrigins: [],
        clientFor: (region) => {
          regions.push(region);
          return throttled;
        },
      },
      clock,
    );

    // Act
    const result = await aws.deliver(aNotification('https://sqs.eu-west-1.amazonaws.com/123456789012/q'));
    await aws.deliver(aNotification('https://sqs.eu-west-1.amazonaws.com/123456789012/other'));

    // Assess
    expect(result).toMatchObject({ kind: 'retry', reason: expect.stringContaining('ThrottlingException') });
    expect(regions).toEqual(['eu-west-1']);
  });
});

describe('whole crawls delivering to a queue and to a rotated webhook', () => {
  const feed = { path: '/sinks/a.xml', items: 2 };
  const server = new CountingFeedServer([feed]);
  const receiver = new WebhookReceiver();
  let dataDir: string;
  let app: LocalApp;

  beforeAll(async () => {
    await server.start();
    await receiver.start();
    dataDir = await tempDir('sinks');
    app = await openApp(dataDir);
  });

  afterAll(async () => {
    await app?.close();
    await receiver.stop();
    await server.stop();
    await removeDir(dataDir);
  });

  it('delivers the same body to the queue, and both signatures to the webhook during the grace', async () => {
    // Prepare
    const queueUrl = await createQueue(app.stack.platformSqs, 'articles-subscriber');
    const oldSecret = newSecret();
    const newSecretValue = newSecret();
    const hook = receiver.endpoint('/hooks/rotated', oldSecret);
    const { subscriptions } = await app.container.get(Subscribe).execute([
      { feedUrl: server.url(feed), sink: { kind: 'sqs', url: queueUrl } },
      { feedUrl: server.url(feed), sink: { kind: 'webhook', url: hook }, secret: oldSecret },
    ]);
    const [queueSubscription, hookSubscription] = subscriptions;
    await app.container.get(RotateSubscriptionSecret).execute({
      feedId: hookSubscription!.feedId,
      subscriptionId: hookSubscription!.id,
      secret: newSecretValue,
      graceSeconds: 3600,
    });

    // Act
    const report = await runCrawl(app, { force: false });
    const summary = await settleRun(app, report.runId);

    // Assess: the queue got one message of the two articles; the webhook one delivery that verifies with the
    // old secret, the receiver's, although the subscription's current secret is the new one.
    expect(summary.notifications).toMatchObject({ delivered: 2, failed: 0, pending: 0 });
    const [message, ...more] = await receiveAll(app.stack.platformSqs, queueUrl);
    expect(more).toEqual([]);
    const body = JSON.parse(message!.Body!) as { type: string; feed: { id: string }; articles: unknown[] };
    expect(body).toMatchObject({ type: 'feed.articles', feed: { id: queueSubscription!.feedId } });
    expect(body.articles).toHaveLength(2);
    expect(message!.MessageAttributes!['webhook-id']!.StringValue).toMatch(/^msg_/);
    const [delivery] = receiver.of('/hooks/rotated');
    expect(delivery).toMatchObject({ verified: true, status: 204 });
    expect(delivery!.articleIds).toHaveLength(2);

    // Nothing in the subscriptions table is a secret in plain text, and the data directory holds the key.
    const { Items = [] } = await app.stack.documentClient.send(
      new ScanCommand({ TableName: app.stack.tableNames.subscriptions }),
    );
    const table = JSON.stringify(Items);
    expect(table).not.toContain(oldSecret.slice(6));
    expect(table).not.toContain(newSecretValue.slice(6));
    expect((await readFile(join(dataDir, SECRET_KEY_FILE), 'utf8')).trim()).toHaveLength(44);
  });
});
