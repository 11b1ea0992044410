import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ServiceIdentifier } from 'inversify';
import type { QueueKey } from '../aws-resources.js';

/** The URL of each queue of `QUEUES`, as deployed (or as created on the embedded stack). */
export type QueueUrls = Readonly<Record<QueueKey, string>>;

/** How the SQS dispatcher batches and retries; every field has a default (see `SqsWorkDispatcher`). */
export interface SqsDispatchOptions {
  /** Attempts per entry that SQS reports as failed (the SDK retries failed requests on its own). Default 3. */
  readonly maxAttempts?: number;
  /** The largest sum of message sizes per SendMessageBatch call. Default 256 KiB. */
  readonly maxBatchBytes?: number;
  /** Wait before the first re-send of failed entries, doubled for each further one. Default 100 ms. */
  readonly retryDelayMs?: number;
}

export const SQS_CLIENT = Symbol.for('SQSClient') as ServiceIdentifier<SQSClient>;
export const QUEUE_URLS = Symbol.for('QueueUrls') as ServiceIdentifier<QueueUrls>;
export const SQS_DISPATCH_OPTIONS = Symbol.for('SqsDispatchOptions') as ServiceIdentifier<SqsDispatchOptions>;

/** The URL of each queue's dead-letter queue; a queue without one cannot park messages (see `SqsDeadLetters`). */
export type DeadLetterQueueUrls = Readonly<Partial<Record<QueueKey, string>>>;

/** How `SqsDeadLetters` reads a dead-letter queue; every field has a default. */
export interface SqsDeadLetterOptions {
  /** Long-poll wait of each ReceiveMessage while listing or redriving. Default 1 s (a short poll may miss messages). */
  readonly waitTimeSeconds?: number;
  /** How long a message read by a listing stays hidden before it is handed back. Default 30 s. */
  readonly visibilityTimeoutSeconds?: number;
  /** The most messages one listing or redrive reads per queue. Default 10,000. */
  readonly maxMessages?: number;
}

export const DEAD_LETTER_QUEUE_URLS = Symbol.for('DeadLetterQueueUrls') as ServiceIdentifier<DeadLetterQueueUrls>;
export const SQS_DEAD_LETTER_OPTIONS = Symbol.for('SqsDeadLetterOptions') as ServiceIdentifier<SqsDeadLetterOptions>;
