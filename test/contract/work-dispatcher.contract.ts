import type { WorkDispatcher } from '../../src/application/ports/work-dispatcher.port.js';
import { parseWorkMessage, type WorkMessage, type WorkMessageType } from '../../src/application/work-messages.js';
import { aDeliverMessage, aFetchFeedMessage, aScanFeedsMessage, aScanSubscribersMessage } from '../support/mothers.js';

/** The work queues, by the name both adapters give them: the message type each carries. */
export const WORK_QUEUES: readonly WorkMessageType[] = ['scan-feeds', 'fetch-feed', 'scan-subscribers', 'deliver'];
/** The queue the discovery rule feeds. */
export const FAN_OUT_QUEUE = 'start-fan-out';
export type QueueName = WorkMessageType | typeof FAN_OUT_QUEUE;
export const ALL_QUEUES: readonly QueueName[] = [...WORK_QUEUES, FAN_OUT_QUEUE];

/** A look into the queues an adapter sends to. */
export interface QueueProbe {
  /** The bodies a consumer of `queue` can receive now, taken off the queue; messages still delayed stay. */
  received(queue: QueueName): Promise<string[]>;
}

/** A dispatcher on fresh, empty queues, and the means to watch them. */
export interface WorkDispatcherHarness extends QueueProbe {
  readonly dispatcher: WorkDispatcher;
  /** How many messages in `queue` wait for their delay to pass. */
  delayed(queue: QueueName): Promise<number>;
  /** Lets `seconds` of delay pass. */
  waitOut(seconds: number): Promise<void>;
}

/** A stable order for comparing what a queue holds with what was sent (standard queues keep no order). */
const inOrder = <T>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** Everything every queue hands over now, parsed as the message its queue carries. */
async function receivedEverywhere(harness: QueueProbe): Promise<Record<QueueName, unknown[]>> {
  const entries = await Promise.all(
    ALL_QUEUES.map(async (queue) => {
      const bodies = await harness.received(queue);
      return [queue, bodies.map((body) => (queue === FAN_OUT_QUEUE ? body : parseWorkMessage(body, queue)))];
    }),
  );
  return Object.fromEntries(entries) as Record<QueueName, unknown[]>;
}

function nothingAnywhere(): Record<QueueName, unknown[]> {
  const empty: Partial<Record<QueueName, unknown[]>> = {};
  for (const queue of ALL_QUEUES) empty[queue] = [];
  return empty as Record<QueueName, unknown[]>;
}

/** What every work dispatcher must do, whatever carries the messages. `makeHarness` gives fresh, empty queues. */
export function describeWorkDispatcherContract(name: string, makeHarness: () => Promise<WorkDispatcherHarness>): void {
  describe(`${name} as WorkDispatcher`, () => {
    it('sends each message to the queue of its type, once, and nothing to any other queue', async () => {
      const harness = await makeHarness();
      const messages = [aScanFeedsMessage(), aFetchFeedMessage('feed_1'), aScanSubscribersMessage(), aDeliverMessage()];

      await harness.dispatcher.dispatch(messages);

      expect(await receivedEverywhere(harness)).toEqual({
        ...nothingAnywhere(),
        'scan-feeds': [messages[0]],
        'fetch-feed': [messages[1]],
        'scan-subscribers': [messages[2]],
        deliver: [messages[3]],
      });
    });

    it('hands over bodies that parse back to the very messages dispatched, optional fields included', async () => {
      const harness = await makeHarness();
      const messages: WorkMessage[] = [
        aScanFeedsMessage({ runId: 'run_ü', force: true, page: 7, cursor: 'frc1.eyJ2IjoxfQ' }),
        aFetchFeedMessage('feed_日本語 "quoted" \\ tab\t', { force: true }),
        aScanSubscribersMessage({ articleIds: ['a1', 'a2', 'a3'], page: 2, cursor: 'frc1.next' }),
        aDeliverMessage({ attempt: 4, notBefore: '2026-01-01T00:05:00.000Z', articleIds: ['a9', 'a1'] }),
      ];

      await harness.dispatcher.dispatch(messages);

      const received = await Promise.all(
        messages.map(async (message) =>
          (await harness.received(message.type)).map((body) => parseWorkMessage(body, message.type)),
        ),
      );
      expect(received).toEqual(messages.map((message) => [message]));
    });

    it('delivers all 25 messages of one dispatch, more than one batch holds', async () => {
      const harness = await makeHarness();
      const messages = Array.from({ length: 25 }, (_, i) => aFetchFeedMessage(`feed_${i}`));

      await harness.dispatcher.dispatch(messages);

      const received = (await harness.received('fetch-feed')).map((body) => parseWorkMessage(body, 'fetch-feed'));
      expect(inOrder(received)).toEqual(inOrder(messages));
    });

    it('sends a message once per dispatch: dispatched twice, it arrives twice', async () => {
      const harness = await makeHarness();
      const message = aDeliverMessage();

      await harness.dispatcher.dispatch([message]);
      await harness.dispatcher.dispatch([message]);

      const received = (await harness.received('deliver')).map((body) => parseWorkMessage(body, 'deliver'));
      expect(received).toEqual([message, message]);
    });

    it('holds a delayed message back until its delay has passed, then hands it over', async () => {
      const harness = await makeHarness();
      const message = aDeliverMessage({ attempt: 2 });

      await harness.dispatcher.dispatch([message], { delaySeconds: 1 });

      expect(await harness.received('deliver')).toEqual([]);
      expect(await harness.delayed('deliver')).toBe(1);
      await harness.waitOut(1);
      expect((await harness.received('deliver')).map((body) => parseWorkMessage(body, 'deliver'))).toEqual([message]);
      expect(await harness.delayed('deliver')).toBe(0);
    });

    it('sends a message with a delay of zero at once', async () => {
      const harness = await makeHarness();
      const message = aFetchFeedMessage('feed_now');

      await harness.dispatcher.dispatch([message], { delaySeconds: 0 });

      expect(await harness.delayed('fetch-feed')).toBe(0);
      expect((await harness.received('fetch-feed')).map((body) => parseWorkMessage(body, 'fetch-feed'))).toEqual([
        message,
      ]);
    });

    it('refuses a message over 256 KiB, sending none of its dispatch', async () => {
      const harness = await makeHarness();
      const huge = {
        ...aDeliverMessage(),
        articleIds: Array.from({ length: 9000 }, (_, i) => `article-${i}-${'x'.repeat(24)}`),
      };

      await expect(harness.dispatcher.dispatch([aScanFeedsMessage(), huge])).rejects.toThrow(/256|too large|bytes/i);

      expect(await receivedEverywhere(harness)).toEqual(nothingAnywhere());
    });

    it('refuses a message of a type no queue carries', async () => {
      const harness = await makeHarness();
      const stray = { ...aScanFeedsMessage(), type: 'no-such-work' } as unknown as WorkMessage;

      await expect(harness.dispatcher.dispatch([stray])).rejects.toThrow(/no-such-work/);
    });

    it('sends nothing for an empty dispatch, delayed or not', async () => {
      const harness = await makeHarness();

      await harness.dispatcher.dispatch([]);
      await harness.dispatcher.dispatch([], { delaySeconds: 5 });

      expect(await receivedEverywhere(harness)).toEqual(nothingAnywhere());
      expect(await Promise.all(ALL_QUEUES.map((queue) => harness.delayed(queue)))).toEqual(ALL_QUEUES.map(() => 0));
    });
  });
}
