import type { WorkDispatcher } from '../../../src/application/ports/work-dispatcher.port.js';
import type { WorkMessage } from '../../../src/application/work-messages.js';
import { QUEUE_FOR_MESSAGE } from '../../../src/adapters/aws-resources.js';
import { MessageTooLargeError, UnroutableMessageError } from '../../../src/adapters/sqs/errors.js';
import type { InMemoryQueues } from './in-memory-queues.js';

/** SQS's limit on one message body. */
const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * Sends each message to the in-memory queue named after its type, refusing what SQS would refuse (a type no
 * queue carries, a body over 256 KiB) before sending anything, so the fake cannot pass what the real one fails.
 */
export class InMemoryWorkDispatcher implements WorkDispatcher {
  constructor(private readonly queues: InMemoryQueues) {}

  async dispatch(messages: readonly WorkMessage[], options: { delaySeconds?: number } = {}): Promise<void> {
    const bodies = messages.map((message) => {
      if (!Object.hasOwn(QUEUE_FOR_MESSAGE, message.type)) {
        throw new UnroutableMessageError(`no queue carries "${message.type}" messages`);
      }
      const body = JSON.stringify(message);
      if (Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES) {
        throw new MessageTooLargeError(`a "${message.type}" message is over ${MAX_MESSAGE_BYTES} bytes`);
      }
      return { type: message.type, body };
    });
    for (const { type, body } of bodies) this.queues.send(type, body, options.delaySeconds);
  }
}
