import type { ArticlesDiscovered } from '../../../src/domain/crawl-run.js';
import type { EventPublisher } from '../../../src/application/ports/event-publisher.port.js';
import { envelopeOf } from '../../../src/adapters/eventbridge/envelope.js';
import type { InMemoryQueues } from './in-memory-queues.js';

export const FAN_OUT_QUEUE = 'start-fan-out';

/** Routes events as the deployed EventBridge rule does: each discovery, in its envelope, to the fan-out queue. */
export class InMemoryEventBus implements EventPublisher {
  readonly published: ArticlesDiscovered[] = [];

  constructor(private readonly queues: InMemoryQueues) {}

  async publish(events: readonly ArticlesDiscovered[]): Promise<void> {
    for (const event of events) {
      this.published.push(event);
      this.queues.send(FAN_OUT_QUEUE, JSON.stringify(envelopeOf(event, `evt-${this.published.length}`)));
    }
  }
}
