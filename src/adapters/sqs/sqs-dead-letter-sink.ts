import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter, DeadLetterSink } from '../../application/ports/dead-letters.port.js';
import { QUEUES, type QueueKey } from '../aws-resources.js';
import { DeadLetterQueueUnknownError } from './errors.js';
import type { DeadLetterQueueUrls } from './tokens.js';

/** The message attributes a parked message carries: why, and what it was before it was parked. */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: 'feedrelay-reason',
  messageId: 'feedrelay-message-id',
  firstSeenAt: 'feedrelay-first-seen-at',
  deadLetteredAt: 'feedrelay-dead-lettered-at',
} as const;

/** A reason longer than this is cut: message attributes count against the 256 KiB a message may have. */
const MAX_REASON_CHARACTERS = 1024;

/** The key of the queue named `queue`; a name feedrelay has no queue for is a `DeadLetterQueueUnknownError`. */
export function queueKeyOf(queue: string): QueueKey {
  const key = (Object.keys(QUEUES) as QueueKey[]).find((candidate) => QUEUES[candidate].name === queue);
  if (key === undefined) {
    const names = Object.values(QUEUES).map((definition) => definition.name);
    throw new DeadLetterQueueUnknownError(`no queue is named "${queue}" (queues: ${names.join(', ')})`);
  }
  return key;
}

/** The dead-letter queue URL of `key`, or a `DeadLetterQueueUnknownError` when none is configured. */
export function deadLetterQueueUrlOf(urls: DeadLetterQueueUrls, key: QueueKey): string {
  const url = urls[key];
  if (url === undefined) {
    throw new DeadLetterQueueUnknownError(`no dead-letter queue is configured for "${QUEUES[key].name}"`);
  }
  return url;
}

/**
 * Parks a message in its queue's dead-letter queue in SQS (one SendMessage), with the reason, the original
 * message id and the first-seen time as message attributes. What a Lambda handler needs, and nothing more,
 * so that the functions load little (see `SqsDeadLetters` for listing and redriving).
 */
export class SqsDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly sqs: SQSClient,
    private readonly deadLetterQueueUrls: DeadLetterQueueUrls,
  ) {}

  async park(letter: DeadLetter): Promise<void> {
    const url = deadLetterQueueUrlOf(this.deadLetterQueueUrls, queueKeyOf(letter.queue));
    const text = (value: string) => ({ DataType: 'String', StringValue: value });
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: letter.body,
        MessageAttributes: {
          [DEAD_LETTER_ATTRIBUTES.reason]: text(letter.reason.slice(0, MAX_REASON_CHARACTERS) || 'unknown'),
          [DEAD_LETTER_ATTRIBUTES.messageId]: text(letter.messageId),
          [DEAD_LETTER_ATTRIBUTES.firstSeenAt]: text(letter.firstSeenAt),
          [DEAD_LETTER_ATTRIBUTES.deadLetteredAt]: text(new Date().toISOString()),
        },
      }),
    );
  }
}
