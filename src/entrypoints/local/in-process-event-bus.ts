import { randomUUID } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { inject, injectable } from 'inversify';
import type { EventPublisher } from '../../application/ports/event-publisher.port.js';
import type { ArticlesDiscovered } from '../../domain/crawl-run.js';
import { countAs } from './aws-request-counter.js';
import { DISCOVERY_RULE } from '../../adapters/aws-resources.js';
import { SendFailedError } from '../../adapters/sqs/errors.js';
import {
  byteLength,
  chunkBySize,
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  sendBatch,
} from '../../adapters/sqs/send-batches.js';
import { QUEUE_URLS, SQS_CLIENT, type QueueUrls } from '../../adapters/sqs/tokens.js';
import { envelopeOf } from '../../adapters/eventbridge/envelope.js';
import { PublishFailedError } from '../../adapters/eventbridge/errors.js';

/** What a publish counts as in the request tally: in AWS it is one PutEvents call per (up to) 10 events. */
export const PUBLISH_OPERATION = 'eventbridge.PutEvents';

/**
 * The event bus of the embedded stack: routes each discovery as the deployed rule does (source and
 * detail-type of `DISCOVERY_RULE` → its target queue), sending the EventBridge envelope as the SQS message.
 * Each send of up to 10 events stands for one PutEvents call and is counted as `eventbridge.PutEvents`, not as
 * the SQS request that carries it, so that the request tally reads as it would in AWS.
 */
@injectable()
export class InProcessEventBus implements EventPublisher {
  constructor(
    @inject(SQS_CLIENT) private readonly sqs: SQSClient,
    @inject(QUEUE_URLS) private readonly queueUrls: QueueUrls,
  ) {}

  async publish(events: readonly ArticlesDiscovered[]): Promise<void> {
    // The rule matches on source and detail-type; every ArticlesDiscovered event carries the rule's pair.
    const url = this.queueUrls[DISCOVERY_RULE.target];
    const messages = events.map((event) => ({
      body: JSON.stringify(envelopeOf(event, randomUUID())),
      label: `event ${event.eventId}`,
    }));
    const chunks = chunkBySize(
      messages,
      (m) => byteLength(m.body),
      MAX_BATCH_ENTRIES,
      MAX_BATCH_BYTES,
      (m) => m.label,
    );
    for (const chunk of chunks) {
      try {
        await sendBatch(this.sqs, url, chunk, {
          maxAttempts: 3,
          retryDelayMs: 100,
          decorate: (command) => {
            countAs(command.middlewareStack, PUBLISH_OPERATION);
            return command;
          },
        });
      } catch (error) {
        if (!(error instanceof SendFailedError)) throw error;
        throw new PublishFailedError(error.message, error.failures, { cause: error });
      }
    }
  }
}
