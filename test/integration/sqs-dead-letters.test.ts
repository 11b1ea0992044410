import { PurgeQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { DeadLetter } from '../../src/application/ports/dead-letters.port.js';
import { InMemoryDeadLetters } from '../support/memory/in-memory-dead-letters.js';
import { InMemoryQueues } from '../support/memory/in-memory-queues.js';
import { DeadLetterQueueUnknownError } from '../../src/adapters/sqs/errors.js';
import { SqsDeadLetters } from '../../src/adapters/sqs/sqs-dead-letters.js';
import { QUEUES, type QueueKey } from '../../src/adapters/aws-resources.js';
import { createQueues, startEmbeddedStack, type EmbeddedStack } from '../../src/entrypoints/local/embedded-stack.js';
import { describeDeadLettersContract } from '../contract/dead-letters.contract.js';

let stack: EmbeddedStack;
let deadLetters: SqsDeadLetters;
let queueSets = 0;

beforeAll(async () => {
  // One receive without a delete sends a message to its dead-letter queue.
  stack = await startEmbeddedStack({ maxReceiveCount: 1 });
  deadLetters = new SqsDeadLetters(stack.platformSqs, stack.queueUrls, stack.deadLetterQueueUrls, {
    waitTimeSeconds: 0,
  });
});

afterEach(async () => {
  const urls = [...Object.values(stack.queueUrls), ...Object.values(stack.deadLetterQueueUrls)];
  await Promise.all(urls.map((url) => stack.platformSqs.send(new PurgeQueueCommand({ QueueUrl: url }))));
});

afterAll(async () => {
  await stack?.stop();
});

const aLetter = (overrides: Partial<DeadLetter> = {}): DeadLetter => ({
  queue: 'fetch-feed',
  messageId: 'm-1',
  body: '{"v":9}',
  reason: 'invalid_message: unsupported message version 9',
  firstSeenAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

describeDeadLettersContract('SqsDeadLetters', async () => {
  // A fresh set of queues with their dead-letter queues, under a prefix of their own.
  const { queueUrls, deadLetterQueueUrls } = await createQueues(stack.platformSqs, {
    prefix: `contract${++queueSets}-`,
  });
  const keyOf = (name: string): QueueKey => (Object.keys(QUEUES) as QueueKey[]).find((k) => QUEUES[k].name === name)!;
  return {
    deadLetters: new SqsDeadLetters(stack.platformSqs, queueUrls, deadLetterQueueUrls, { waitTimeSeconds: 0 }),
    queued: (queue) => bodiesIn(queueUrls[keyOf(queue)]),
  };
});

/** The bodies a queue holds now (received, so hidden for a minute). */
async function bodiesIn(url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await stack.platformSqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    if (Messages.length === 0) return bodies.sort();
    bodies.push(...Messages.map((m) => m.Body!));
  }
}

describe('SqsDeadLetters', () => {
  it('keeps a parked message in its queue’s dead-letter queue with its reason, id and first-seen time', async () => {
    // Act
    await deadLetters.park(aLetter());
    const first = await deadLetters.list();
    const second = await deadLetters.list('fetch-feed');

    // Assess: listing reads, it does not take.
    expect(first).toEqual([aLetter()]);
    expect(second).toEqual([aLetter()]);
    expect(await deadLetters.list('deliver')).toEqual([]);
  });

  it('lists a message the redrive policy moved, saying it has no recorded reason, first seen when it was sent', async () => {
    // Prepare: a message received once and never deleted (its invocation crashed).
    const sent = await stack.platformSqs.send(
      new SendMessageCommand({ QueueUrl: stack.queueUrls.deliver, MessageBody: '{"v":2}' }),
    );
    await stack.platformSqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.queueUrls.deliver, VisibilityTimeout: 0 }),
    );
    await stack.platformSqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.queueUrls.deliver, VisibilityTimeout: 0 }),
    );

    // Act
    const letters = await deadLetters.list();

    // Assess
    expect(letters).toEqual([
      {
        queue: 'deliver',
        messageId: sent.MessageId,
        body: '{"v":2}',
        reason: expect.stringContaining("moved by the queue's redrive policy") as string,
        firstSeenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
      },
    ]);
  });

  it('puts the dead letters of one queue back on that queue and no others', async () => {
    // Prepare
    await deadLetters.park(aLetter({ messageId: 'a', body: 'A' }));
    await deadLetters.park(aLetter({ messageId: 'b', body: 'B' }));
    await deadLetters.park(aLetter({ queue: 'deliver', messageId: 'c', body: 'C' }));

    // Act
    const moved = await deadLetters.redrive('fetch-feed');

    // Assess
    expect(moved.map((letter) => letter.messageId).sort()).toEqual(['a', 'b']);
    expect(await deadLetters.list()).toEqual([aLetter({ queue: 'deliver', messageId: 'c', body: 'C' })]);
    expect(await bodiesIn(stack.queueUrls.fetchFeed)).toEqual(['A', 'B']);
    expect(await bodiesIn(stack.queueUrls.deliver)).toEqual([]);
  });

  it('puts back every queue’s dead letters when no queue is named', async () => {
    // Prepare
    await deadLetters.park(aLetter({ queue: 'scan-feeds', body: 'S' }));
    await deadLetters.park(aLetter({ queue: 'start-fan-out', body: 'E' }));

    // Act
    const moved = await deadLetters.redrive();

    // Assess
    expect(moved).toHaveLength(2);
    expect(await bodiesIn(stack.queueUrls.scanFeeds)).toEqual(['S']);
    expect(await bodiesIn(stack.queueUrls.startFanOut)).toEqual(['E']);
    expect(await deadLetters.list()).toEqual([]);
  });

  it('moves what the dead-letter queues hold into other dead letters (how the embedded stack keeps them)', async () => {
    // Prepare
    const target = new InMemoryDeadLetters(new InMemoryQueues());
    await deadLetters.park(aLetter());

    // Act
    const moved = await deadLetters.moveTo(target);

    // Assess
    expect(moved).toEqual([aLetter()]);
    expect(await target.list()).toEqual([aLetter()]);
    expect(await deadLetters.list()).toEqual([]);
  });

  it('refuses a queue it does not have, naming the queues it has', async () => {
    await expect(deadLetters.park(aLetter({ queue: 'fetch' }))).rejects.toThrow(DeadLetterQueueUnknownError);
    await expect(deadLetters.list('fetch')).rejects.toThrow(
      'no queue is named "fetch" (queues: scan-feeds, fetch-feed, start-fan-out, scan-subscribers, deliver)',
    );
  });

  it('refuses to park for a queue whose dead-letter queue is not configured', async () => {
    // Prepare
    const partial = new SqsDeadLetters(stack.platformSqs, stack.queueUrls, {
      deliver: stack.deadLetterQueueUrls.deliver,
    });

    // Act / Assess
    await expect(partial.park(aLetter())).rejects.toThrow('no dead-letter queue is configured for "fetch-feed"');
  });
});
