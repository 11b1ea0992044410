import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { QUEUES, type QueueKey } from '../../src/adapters/aws-resources.js';
import { InProcessEventBus } from '../../src/entrypoints/local/in-process-event-bus.js';
import { SqsWorkDispatcher } from '../../src/adapters/sqs/sqs-work-dispatcher.js';
import type { QueueUrls } from '../../src/adapters/sqs/tokens.js';
import { createQueues, startEmbeddedStack, type EmbeddedStack } from '../../src/entrypoints/local/embedded-stack.js';
import { describeEventPublisherContract } from '../contract/event-publisher.contract.js';
import { describeWorkDispatcherContract, type QueueName } from '../contract/work-dispatcher.contract.js';

let stack: EmbeddedStack;
let queueSets = 0;

beforeAll(async () => {
  stack = await startEmbeddedStack();
});

afterAll(async () => {
  await stack?.stop();
});

/** A fresh set of the stack's queues under a prefix of their own, so that every test starts empty. */
async function freshQueues(): Promise<QueueUrls> {
  const { queueUrls } = await createQueues(stack.platformSqs, { prefix: `contract${++queueSets}-` });
  return queueUrls;
}

/**
 * The SQS queue that bears the in-memory queue's name. Matched by name rather than through `QUEUE_FOR_MESSAGE`,
 * the table the dispatcher routes by, so that a wrong route shows as a difference from the in-memory adapter.
 */
function keyOf(queue: QueueName): QueueKey {
  const key = (Object.keys(QUEUES) as QueueKey[]).find((candidate) => QUEUES[candidate].name === queue);
  if (key === undefined) throw new Error(`no queue named ${queue}`);
  return key;
}

/** SQS queues read as the Lambda service reads them: received until empty, then deleted. */
function probing(queueUrls: QueueUrls) {
  return {
    async received(queue: QueueName): Promise<string[]> {
      const QueueUrl = queueUrls[keyOf(queue)];
      const bodies: string[] = [];
      for (;;) {
        const { Messages = [] } = await stack.platformSqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }),
        );
        if (Messages.length === 0) return bodies;
        bodies.push(...Messages.map((message) => message.Body!));
        await stack.platformSqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: Messages.map((message, i) => ({ Id: `m${i}`, ReceiptHandle: message.ReceiptHandle! })),
          }),
        );
      }
    },
    async delayed(queue: QueueName): Promise<number> {
      const { Attributes } = await stack.platformSqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrls[keyOf(queue)],
          AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
        }),
      );
      return Number(Attributes?.ApproximateNumberOfMessagesDelayed);
    },
    async waitOut(seconds: number): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 250));
    },
  };
}

describeWorkDispatcherContract('SqsWorkDispatcher', async () => {
  const queueUrls = await freshQueues();
  return { dispatcher: new SqsWorkDispatcher(stack.sqs, queueUrls), ...probing(queueUrls) };
});

describeEventPublisherContract('InProcessEventBus', async () => {
  const queueUrls = await freshQueues();
  return { publisher: new InProcessEventBus(stack.sqs, queueUrls), ...probing(queueUrls) };
});
