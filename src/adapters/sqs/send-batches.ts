import { SendMessageBatchCommand, type BatchResultErrorEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { SendFailedError } from './errors.js';

export { byteLength, chunkBySize } from './chunk-by-size.js';

/** SQS takes at most 10 entries per SendMessageBatch. */
export const MAX_BATCH_ENTRIES = 10;
/** The classic SQS limit for a whole batch (and for one message): 256 KiB. */
export const MAX_BATCH_BYTES = 256 * 1024;

export interface OutgoingMessage {
  readonly body: string;
  /** Names the message in errors, e.g. `fetch-feed feed_123`. */
  readonly label: string;
  readonly delaySeconds?: number;
}

export interface SendBatchOptions {
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  /** Applied to each SendMessageBatch command before it is sent (e.g. to count it under another name). */
  readonly decorate?: (command: SendMessageBatchCommand, attempt: number) => SendMessageBatchCommand;
}

/**
 * Sends one batch (≤ 10 entries, within the size limit) to one queue. Entries SQS reports as failed are sent
 * again with back-off, unless SQS blames the sender (retrying cannot help); what is still unsent at the end
 * is named in a `SendFailedError`. A request that fails as a whole (after the SDK's own retries) throws too.
 */
export async function sendBatch(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
  options: SendBatchOptions,
): Promise<void> {
  let pending = messages.map((message, index) => ({ id: `m${index}`, message }));
  const refused: string[] = [];
  let lastFailures: string[] = [];
  for (let attempt = 1; pending.length > 0 && attempt <= options.maxAttempts; attempt++) {
    if (attempt > 1) await sleep(options.retryDelayMs * 2 ** (attempt - 2));
    let command = new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: pending.map(({ id, message }) => ({
        Id: id,
        MessageBody: message.body,
        ...(message.delaySeconds ? { DelaySeconds: message.delaySeconds } : {}),
      })),
    });
    if (options.decorate) command = options.decorate(command, attempt);
    let failed: BatchResultErrorEntry[];
    try {
      failed = (await sqs.send(command)).Failed ?? [];
    } catch (cause) {
      const labels = pending.map(({ message }) => message.label);
      throw new SendFailedError(
        `could not send ${labels.length} message(s) to ${queueName(queueUrl)}: ${(cause as Error).message}`,
        labels,
        { cause },
      );
    }
    const byId = new Map(pending.map((entry) => [entry.id, entry]));
    const retry: typeof pending = [];
    lastFailures = [];
    for (const failure of failed) {
      const entry = byId.get(failure.Id ?? '');
      if (!entry) continue;
      const reason = `${entry.message.label} (${failure.Code ?? 'error'}: ${failure.Message ?? 'no message'})`;
      if (failure.SenderFault) refused.push(reason);
      else {
        retry.push(entry);
        lastFailures.push(reason);
      }
    }
    pending = retry;
  }
  const failures = [...refused, ...lastFailures];
  if (failures.length > 0) {
    throw new SendFailedError(
      `${failures.length} of ${messages.length} message(s) could not be sent to ${queueName(queueUrl)}` +
        `${lastFailures.length > 0 ? ` after ${options.maxAttempts} attempts` : ''}: ${failures.join('; ')}`,
      failures,
    );
  }
}

/** Runs `task` over `items` with at most `limit` running at once; the first failure is thrown after all settle. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

const queueName = (url: string): string => url.slice(url.lastIndexOf('/') + 1);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
