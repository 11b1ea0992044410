import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { QUEUES, type QueueKey } from '../../adapters/aws-resources.js';
import { JsonlDeadLetters } from '../../adapters/file/jsonl-dead-letters.js';
import {
  byteLength,
  chunkBySize,
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  sendBatch,
} from '../../adapters/sqs/send-batches.js';
import type { QueueUrls } from '../../adapters/sqs/tokens.js';

/** The file in a data directory that keeps the embedded stack's dead letters. */
export const deadLetterFile = (dataDir: string): string => join(dataDir, 'dead-letters.jsonl');

/**
 * The dead letters of the data directory. A redrive sends them to `queues` (the embedded stack's) when given;
 * without them (a command that only lists) a redrive is refused.
 */
export function localDeadLetters(
  dataDir: string,
  queues?: { readonly sqs: SQSClient; readonly queueUrls: QueueUrls },
): JsonlDeadLetters {
  return new JsonlDeadLetters(deadLetterFile(dataDir), async (queue, bodies) => {
    if (!queues) throw new Error('dead letters can only be redriven with the embedded stack running');
    const key = (Object.keys(QUEUES) as QueueKey[]).find((candidate) => QUEUES[candidate].name === queue);
    if (key === undefined) throw new Error(`a dead letter names a queue that does not exist: "${queue}"`);
    const messages = bodies.map((body, index) => ({ body, label: `${queue} dead letter ${index + 1}` }));
    for (const batch of chunkBySize(messages, (m) => byteLength(m.body), MAX_BATCH_ENTRIES, MAX_BATCH_BYTES)) {
      await sendBatch(queues.sqs, queues.queueUrls[key], batch, { maxAttempts: 3, retryDelayMs: 100 });
    }
  });
}
