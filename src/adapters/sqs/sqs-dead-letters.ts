import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { inject, injectable, optional } from 'inversify';
import type { DeadLetter, DeadLetters } from '../../application/ports/dead-letters.port.js';
import { QUEUES, type QueueKey } from '../aws-resources.js';
import { byteLength, chunkBySize } from './chunk-by-size.js';
import { DEAD_LETTER_ATTRIBUTES, deadLetterQueueUrlOf, queueKeyOf, SqsDeadLetterSink } from './sqs-dead-letter-sink.js';
import {
  DEAD_LETTER_QUEUE_URLS,
  QUEUE_URLS,
  SQS_CLIENT,
  SQS_DEAD_LETTER_OPTIONS,
  type DeadLetterQueueUrls,
  type QueueUrls,
  type SqsDeadLetterOptions,
} from './tokens.js';

/** SQS takes at most 10 entries per batch request, of 256 KiB together. */
const BATCH = 10;
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * The dead-letter queues in SQS. `park` is `SqsDeadLetterSink`'s (SendMessage, the reason and the original
 * message id and first-seen time as message attributes). `list` reads every message of the dead-letter
 * queues (ReceiveMessage, long polling) and hands them back at once (visibility 0); a message the queue's
 * redrive policy moved there has no attributes, so its reason says so and its first-seen time is its
 * `SentTimestamp`; a message parked twice is listed once. `redrive` sends them to their source queue
 * (SendMessageBatch) and deletes what was sent (DeleteMessageBatch); a message parked after the redrive
 * began is left for the next one.
 */
@injectable()
export class SqsDeadLetters implements DeadLetters {
  private readonly options: Required<SqsDeadLetterOptions>;
  private readonly sink: SqsDeadLetterSink;

  constructor(
    @inject(SQS_CLIENT) private readonly sqs: SQSClient,
    @inject(QUEUE_URLS) private readonly queueUrls: QueueUrls,
    @inject(DEAD_LETTER_QUEUE_URLS) private readonly deadLetterQueueUrls: DeadLetterQueueUrls,
    @inject(SQS_DEAD_LETTER_OPTIONS) @optional() options: SqsDeadLetterOptions = {},
  ) {
    this.options = {
      waitTimeSeconds: options.waitTimeSeconds ?? 1,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
      maxMessages: options.maxMessages ?? 10_000,
    };
    this.sink = new SqsDeadLetterSink(sqs, deadLetterQueueUrls);
  }

  park(letter: DeadLetter): Promise<void> {
    return this.sink.park(letter);
  }

  async list(queue?: string): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for (const key of this.keysFor(queue)) {
      const url = this.deadLetterUrl(key);
      const messages = await this.receiveAll(url);
      await this.handBack(url, messages);
      // A message parked twice (its invocation crashed after parking it) is listed once.
      const byId = new Map(
        messages.map((message) => [attribute(message, DEAD_LETTER_ATTRIBUTES.messageId) ?? message.MessageId, message]),
      );
      letters.push(...[...byId.values()].map((message) => this.letterOf(key, message)));
    }
    return letters.sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt));
  }

  async redrive(queue?: string): Promise<DeadLetter[]> {
    const startedAt = new Date().toISOString();
    const moved: DeadLetter[] = [];
    for (const key of this.keysFor(queue)) {
      const url = this.deadLetterUrl(key);
      // Parked since the redrive began (a redriven message that failed again): stays hidden until next time.
      const messages = (await this.receiveAll(url)).filter(
        (message) => (attribute(message, DEAD_LETTER_ATTRIBUTES.deadLetteredAt) ?? '') <= startedAt,
      );
      const batches = chunkBySize(messages, (m) => byteLength(m.Body ?? ''), BATCH, MAX_BATCH_BYTES);
      for (const batch of batches) {
        const sent = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrls[key],
            Entries: batch.map((message, index) => ({ Id: `r${index}`, MessageBody: message.Body ?? '' })),
          }),
        );
        const done = new Set((sent.Successful ?? []).map((entry) => entry.Id));
        const delivered = batch.filter((_, index) => done.has(`r${index}`));
        await this.remove(url, delivered);
        await this.handBack(
          url,
          batch.filter((_, index) => !done.has(`r${index}`)),
        );
        moved.push(...delivered.map((message) => this.letterOf(key, message)));
      }
    }
    return moved;
  }

  /**
   * Moves every message of the dead-letter queues into `target` (park, then delete here): how the embedded
   * stack keeps what its in-memory queues dead-letter on disk. Answers the letters moved.
   */
  async moveTo(target: DeadLetters): Promise<DeadLetter[]> {
    const moved: DeadLetter[] = [];
    for (const key of this.keysFor(undefined)) {
      const url = this.deadLetterUrl(key);
      const messages = await this.receiveAll(url);
      for (const message of messages) {
        const letter = this.letterOf(key, message);
        await target.park(letter);
        moved.push(letter);
      }
      await this.remove(url, messages);
    }
    return moved;
  }

  private letterOf(key: QueueKey, message: Message): DeadLetter {
    const sent = Number(message.Attributes?.SentTimestamp);
    return {
      queue: QUEUES[key].name,
      messageId: attribute(message, DEAD_LETTER_ATTRIBUTES.messageId) ?? message.MessageId ?? 'unknown',
      body: message.Body ?? '',
      reason:
        attribute(message, DEAD_LETTER_ATTRIBUTES.reason) ??
        "moved by the queue's redrive policy after its last receive, with no reason recorded " +
          '(the invocation crashed or timed out)',
      firstSeenAt:
        attribute(message, DEAD_LETTER_ATTRIBUTES.firstSeenAt) ??
        new Date(Number.isFinite(sent) && sent > 0 ? sent : Date.now()).toISOString(),
    };
  }

  /** Every message the queue holds (up to `maxMessages`), each once, all hidden until handed back or deleted. */
  private async receiveAll(url: string): Promise<Message[]> {
    const seen = new Map<string, Message>();
    while (seen.size < this.options.maxMessages) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(BATCH, this.options.maxMessages - seen.size),
          WaitTimeSeconds: this.options.waitTimeSeconds,
          VisibilityTimeout: this.options.visibilityTimeoutSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        }),
      );
      const fresh = Messages.filter((message) => !seen.has(message.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const message of fresh) seen.set(message.MessageId ?? '', message);
    }
    return [...seen.values()];
  }

  private async remove(url: string, messages: readonly Message[]): Promise<void> {
    for (let at = 0; at < messages.length; at += BATCH) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages
            .slice(at, at + BATCH)
            .map((message, index) => ({ Id: `d${index}`, ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
    }
  }

  /** Makes messages visible again at once. */
  private async handBack(url: string, messages: readonly Message[]): Promise<void> {
    for (let at = 0; at < messages.length; at += BATCH) {
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: messages.slice(at, at + BATCH).map((message, index) => ({
            Id: `v${index}`,
            ReceiptHandle: message.ReceiptHandle!,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  private keysFor(queue: string | undefined): QueueKey[] {
    if (queue !== undefined) return [queueKeyOf(queue)];
    return (Object.keys(QUEUES) as QueueKey[]).filter((key) => this.deadLetterQueueUrls[key] !== undefined);
  }

  private deadLetterUrl(key: QueueKey): string {
    return deadLetterQueueUrlOf(this.deadLetterQueueUrls, key);
  }
}

function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}
