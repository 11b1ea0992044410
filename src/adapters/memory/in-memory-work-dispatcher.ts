import { injectable } from 'inversify';
import type { WorkDispatcher } from '../../application/ports/work-dispatcher.port.js';
import type { WorkMessage } from '../../application/work-messages.js';
import type { InMemoryQueues } from './in-memory-queues.js';

/** Sends each message to the in-memory queue named after its type. */
@injectable()
export class InMemoryWorkDispatcher implements WorkDispatcher {
  constructor(private readonly queues: InMemoryQueues) {}

  async dispatch(messages: readonly WorkMessage[], options: { delaySeconds?: number } = {}): Promise<void> {
    for (const message of messages) this.queues.send(message.type, JSON.stringify(message), options.delaySeconds);
  }
}
