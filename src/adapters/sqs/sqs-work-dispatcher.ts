import type { SQSClient } from '@aws-sdk/client-sqs';
import { inject, injectable, optional } from 'inversify';
import { mapBounded } from '../../application/bounded.js';
import type { WorkDispatcher } from '../../application/ports/work-dispatcher.port.js';
import type { WorkMessage } from '../../application/work-messages.js';
import { QUEUE_FOR_MESSAGE, type QueueKey } from '../aws-resources.js';
import { UnroutableMessageError } from './errors.js';
import {
  byteLength,
  chunkBySize,
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  sendBatch,
  type OutgoingMessage,
} from './send-batches.js';
import { QUEUE_URLS, SQS_CLIENT, SQS_DISPATCH_OPTIONS, type QueueUrls, type SqsDispatchOptions } from './tokens.js';

/** SQS allows a message delay of 0 to 900 seconds. */
const MAX_DELAY_SECONDS = 900;
/** Batches sent at once by one dispatch. */
const CONCURRENT_BATCHES = 4;

/**
 * Sends work messages to the queue that carries their type, in SendMessageBatch calls of at most 10 entries
 * and 256 KiB; entries SQS fails are sent again a few times, then named in the error.
 */
@injectable()
export class SqsWorkDispatcher implements WorkDispatcher {
  private readonly options: Required<SqsDispatchOptions>;

  constructor(
    @inject(SQS_CLIENT) private readonly sqs: SQSClient,
    @inject(QUEUE_URLS) private readonly queueUrls: QueueUrls,
    @inject(SQS_DISPATCH_OPTIONS) @optional() options: SqsDispatchOptions = {},
  ) {
    this.options = {
      maxAttempts: Math.max(1, options.maxAttempts ?? 3),
      maxBatchBytes: Math.min(options.maxBatchBytes ?? MAX_BATCH_BYTES, MAX_BATCH_BYTES),
      retryDelayMs: options.retryDelayMs ?? 100,
    };
  }

  async dispatch(messages: readonly WorkMessage[], options: { delaySeconds?: number } = {}): Promise<void> {
    const delaySeconds = Math.min(Math.max(0, Math.ceil(options.delaySeconds ?? 0)), MAX_DELAY_SECONDS);
    const byQueue = new Map<QueueKey, OutgoingMessage[]>();
    for (const message of messages) {
      const queue = QUEUE_FOR_MESSAGE[message.type];
      if (queue === undefined) throw new UnroutableMessageError(`no queue carries "${message.type}" messages`);
      let outgoing = byQueue.get(queue);
      if (!outgoing) byQueue.set(queue, (outgoing = []));
      outgoing.push({ body: JSON.stringify(message), label: labelOf(message), delaySeconds });
    }
    const batches: { url: string; messages: OutgoingMessage[] }[] = [];
    for (const [queue, outgoing] of byQueue) {
      const url = this.queueUrls[queue];
      const chunks = chunkBySize(
        outgoing,
        (m) => byteLength(m.body),
        MAX_BATCH_ENTRIES,
        this.options.maxBatchBytes,
        (m) => `the message ${m.label}`,
      );
      for (const chunk of chunks) batches.push({ url, messages: chunk });
    }
    await mapBounded(batches, CONCURRENT_BATCHES, (batch) =>
      sendBatch(this.sqs, batch.url, batch.messages, this.options),
    );
  }
}

/** A short name for a message in errors: its type and what it is about. */
function labelOf(message: WorkMessage): string {
  switch (message.type) {
    case 'scan-feeds':
      return `scan-feeds ${message.runId} segment ${message.segment} page ${message.page}`;
    case 'fetch-feed':
      return `fetch-feed ${message.runId} batch ${message.batch} (${message.feeds.length} feeds)`;
    case 'scan-subscribers':
      return `scan-subscribers ${message.feed.id} shard ${message.shard} page ${message.page}`;
    case 'deliver':
      return `deliver ${message.eventId} batch ${message.batch} attempt ${message.attempt}`;
  }
}
