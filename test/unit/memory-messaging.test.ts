import { InMemoryDeadLetters } from '../support/memory/in-memory-dead-letters.js';
import { InMemoryEventBus } from '../support/memory/in-memory-event-bus.js';
import { InMemoryQueues } from '../support/memory/in-memory-queues.js';
import { InMemoryWorkDispatcher } from '../support/memory/in-memory-work-dispatcher.js';
import { describeDeadLettersContract } from '../contract/dead-letters.contract.js';
import { describeEventPublisherContract } from '../contract/event-publisher.contract.js';
import { ALL_QUEUES, describeWorkDispatcherContract, type QueueName } from '../contract/work-dispatcher.contract.js';

/**
 * In-memory queues read as their handlers read them: a drain takes whatever is ready off every queue, and a
 * message sent with a delay stays parked (still in `bodies`) until `waitOut` lets the next drain run it too.
 */
function probing(queues: InMemoryQueues) {
  const taken = new Map<string, string[]>();
  let delayPassed = false;
  const takeReady = async (): Promise<void> => {
    const collect = (queue: QueueName) => async (records: { body: string }[]) => {
      taken.set(queue, [...(taken.get(queue) ?? []), ...records.map((record) => record.body)]);
      return { batchItemFailures: [] };
    };
    await queues.drain(Object.fromEntries(ALL_QUEUES.map((queue) => [queue, collect(queue)])), {
      runDelayed: delayPassed,
    });
    delayPassed = false;
  };
  return {
    async received(queue: QueueName): Promise<string[]> {
      await takeReady();
      const bodies = taken.get(queue) ?? [];
      taken.delete(queue);
      return bodies;
    },
    async delayed(queue: QueueName): Promise<number> {
      await takeReady();
      return queues.bodies(queue).length;
    },
    async waitOut(): Promise<void> {
      delayPassed = true;
    },
  };
}

describeWorkDispatcherContract('InMemoryWorkDispatcher', async () => {
  const queues = new InMemoryQueues();
  return { dispatcher: new InMemoryWorkDispatcher(queues), ...probing(queues) };
});

describeEventPublisherContract('InMemoryEventBus', async () => {
  const queues = new InMemoryQueues();
  return { publisher: new InMemoryEventBus(queues), ...probing(queues) };
});

describeDeadLettersContract('InMemoryDeadLetters', async () => {
  const queues = new InMemoryQueues();
  const probe = probing(queues);
  return {
    deadLetters: new InMemoryDeadLetters(queues),
    queued: async (queue) => (await probe.received(queue as QueueName)).sort(),
  };
});
