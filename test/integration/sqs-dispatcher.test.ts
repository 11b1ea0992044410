import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  type BatchResultErrorEntry,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { QUEUES, type QueueKey } from '../../src/adapters/aws-resources.js';
import { SendFailedError } from '../../src/adapters/sqs/errors.js';
import { SqsWorkDispatcher } from '../../src/adapters/sqs/sqs-work-dispatcher.js';
import type { FetchFeedMessage, WorkMessage } from '../../src/application/work-messages.js';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/entrypoints/local/embedded-stack.js';
import {
  aDeliverMessage,
  aFetchFeedMessage,
  aScanFeedsMessage,
  aScanSubscribersMessage,
  feedIdOf,
} from '../support/mothers.js';

let stack: EmbeddedStack;

beforeAll(async () => {
  stack = await startEmbeddedStack();
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await Promise.all(
    Object.values(stack.queueUrls).map((url) => stack.platformSqs.send(new PurgeQueueCommand({ QueueUrl: url }))),
  );
  stack.counter.reset();
});

/** Everything the queue holds now, received (and so hidden) for a minute. */
async function drain(queue: QueueKey): Promise<WorkMessage[]> {
  const bodies: WorkMessage[] = [];
  for (;;) {
    const { Messages = [] } = await stack.platformSqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.queueUrls[queue], MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => JSON.parse(m.Body!) as WorkMessage));
  }
}

async function depth(queue: QueueKey, attribute: 'ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesDelayed') {
  const { Attributes } = await stack.platformSqs.send(
    new GetQueueAttributesCommand({ QueueUrl: stack.queueUrls[queue], AttributeNames: [attribute] }),
  );
  return Number(Attributes?.[attribute]);
}

const sendBatchCalls = (): number => stack.counter.snapshot().byOperation['sqs.SendMessageBatch'] ?? 0;

/** A client whose SendMessageBatch calls drop their first entry and report it as failed by SQS, `times` times. */
function failingFirstEntry(times: number): SQSClient {
  const client = new SQSClient({
    endpoint: stack.endpoints.sqs,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let remaining = times;
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as SendMessageBatchCommandInput;
      if (remaining <= 0 || !input.Entries?.length) return next(args);
      remaining--;
      const [dropped, ...rest] = input.Entries;
      const failure: BatchResultErrorEntry = {
        Id: dropped!.Id,
        SenderFault: false,
        Code: 'InternalError',
        Message: 'try again',
      };
      if (rest.length === 0) {
        // Nothing left to send: answer as SQS would, with the one entry failed.
        const output: SendMessageBatchCommandOutput = { Successful: [], Failed: [failure], $metadata: {} };
        return { output, response: {} } as Awaited<ReturnType<typeof next>>;
      }
      const result = await next({ ...args, input: { ...input, Entries: rest } });
      const output = result.output as SendMessageBatchCommandOutput;
      output.Failed = [...(output.Failed ?? []), failure];
      return result;
    },
    { step: 'initialize', name: 'failFirstEntry' },
  );
  countRequestsOf(client);
  return client;
}

function countRequestsOf(client: SQSClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      stack.counter.record(`sqs.${context.commandName!.replace(/Command$/, '')}`);
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: 'testCounter' },
  );
}

describe('SqsWorkDispatcher', () => {
  it('delivers a batch of 25 messages as 25, ten to a call', async () => {
    const dispatcher = new SqsWorkDispatcher(stack.sqs, stack.queueUrls);
    const messages = Array.from({ length: 25 }, (_, i) => aFetchFeedMessage(`feed_${i}`));

    await dispatcher.dispatch(messages);

    const received = await drain('fetchFeed');
    expect(received.map((m) => feedIdOf(m as FetchFeedMessage)).sort()).toEqual(messages.map(feedIdOf).sort());
    expect(sendBatchCalls()).toBe(3);
    expect(stack.counter.sqsBilledSends()).toBe(3);
  });

  it('splits an oversized set by size, keeping every call within 256 KiB', async () => {
    const dispatcher = new SqsWorkDispatcher(stack.sqs, stack.queueUrls);
    // About 100 KB each: two fit in a call, three do not.
    const articleIds = Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(2000, 'x'));
    const messages = Array.from({ length: 6 }, (_, i) => aDeliverMessage({ batch: `0.${i}`, articleIds }));

    await dispatcher.dispatch(messages);

    const received = await drain('deliver');
    expect(received).toHaveLength(6);
    expect(received.map((m) => (m as { batch: string }).batch).sort()).toEqual(messages.map((m) => m.batch).sort());
    expect(sendBatchCalls()).toBe(3);
    // Billed by the 64 KB chunk: each call of two 100 KB messages is four requests.
    expect(stack.counter.sqsBilledSends()).toBe(3 * 4);
  });

  it('routes each message type to the queue that carries it', async () => {
    const dispatcher = new SqsWorkDispatcher(stack.sqs, stack.queueUrls);

    await dispatcher.dispatch([
      aScanFeedsMessage(),
      aFetchFeedMessage('feed_1'),
      aScanSubscribersMessage(),
      aDeliverMessage(),
    ]);

    expect((await drain('scanFeeds')).map((m) => m.type)).toEqual(['scan-feeds']);
    expect((await drain('fetchFeed')).map((m) => m.type)).toEqual(['fetch-feed']);
    expect((await drain('scanSubscribers')).map((m) => m.type)).toEqual(['scan-subscribers']);
    expect((await drain('deliver')).map((m) => m.type)).toEqual(['deliver']);
    expect(await drain('startFanOut')).toEqual([]);
  });

  it('sends with a delay: the messages wait, delayed, before they can be received', async () => {
    const dispatcher = new SqsWorkDispatcher(stack.sqs, stack.queueUrls);

    await dispatcher.dispatch([aDeliverMessage({ attempt: 2 })], { delaySeconds: 30 });

    expect(await depth('deliver', 'ApproximateNumberOfMessagesDelayed')).toBe(1);
    expect(await depth('deliver', 'ApproximateNumberOfMessages')).toBe(0);
  });

  it('sends again the entries SQS reports as failed', async () => {
    const client = failingFirstEntry(1);
    const dispatcher = new SqsWorkDispatcher(client, stack.queueUrls, { retryDelayMs: 1 });
    const messages = [aFetchFeedMessage('feed_a'), aFetchFeedMessage('feed_b'), aFetchFeedMessage('feed_c')];

    await dispatcher.dispatch(messages);

    const received = await drain('fetchFeed');
    expect(received.map((m) => feedIdOf(m as FetchFeedMessage)).sort()).toEqual(['feed_a', 'feed_b', 'feed_c']);
    expect(sendBatchCalls()).toBe(2);
    client.destroy();
  });

  it('names the messages it could not send after its attempts', async () => {
    const client = failingFirstEntry(Number.POSITIVE_INFINITY);
    const dispatcher = new SqsWorkDispatcher(client, stack.queueUrls, { maxAttempts: 3, retryDelayMs: 1 });

    const sending = dispatcher.dispatch([
      aFetchFeedMessage('feed_lost', { batch: '0.0.7' }),
      aFetchFeedMessage('feed_x'),
      aFetchFeedMessage('feed_y'),
    ]);

    await expect(sending).rejects.toThrow(SendFailedError);
    await expect(sending).rejects.toThrow(
      /1 of 3 message\(s\) could not be sent to fetch-feed after 3 attempts: fetch-feed run_test batch 0\.0\.7 \(1 feeds\) \(InternalError/,
    );
    client.destroy();
  });

  it('refuses a message larger than a batch may be, before sending anything', async () => {
    const dispatcher = new SqsWorkDispatcher(stack.sqs, stack.queueUrls);
    const articleIds = Array.from({ length: 150 }, (_, i) => `${i}`.padEnd(2000, 'x'));

    await expect(dispatcher.dispatch([aFetchFeedMessage('feed_ok'), aDeliverMessage({ articleIds })])).rejects.toThrow(
      /deliver evt_test batch 0.0 attempt 1 is \d+ bytes/,
    );
    expect(sendBatchCalls()).toBe(0);
  });

  it('has a queue for every work message type', () => {
    expect(Object.keys(QUEUES)).toEqual(
      expect.arrayContaining(['scanFeeds', 'fetchFeed', 'scanSubscribers', 'deliver']),
    );
  });
});
