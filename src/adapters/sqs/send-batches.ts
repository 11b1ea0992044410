import { SendMessageBatchCommand, type BatchResultErrorEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { sendWithRetries } from '../../application/retry.js';
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
  /** The wait before the second attempt; it doubles each time (jittered, at most 2 s). */
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
  const refused: string[] = [];
  let lastFailures: string[] = [];
  const policy = { maxAttempts: options.maxAttempts, baseDelayMs: options.retryDelayMs, maxDelayMs: 2_000 };
  const entries = messages.map((message, index) => ({ id: `m${index}`, message }));
  await sendWithRetries(entries, policy, async (pending, attempt) => {
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
    const retry: (typeof entries)[number][] = [];
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
    return retry;
  });
  const failures = [...refused, ...lastFailures];
  if (failures.length > 0) {
    throw new SendFailedError(
      `${failures.length} of ${messages.length} message(s) could not be sent to ${queueName(queueUrl)}` +
        `${lastFailures.length > 0 ? ` after ${options.maxAttempts} attempts` : ''}: ${failures.join('; ')}`,
      failures,
    );
  }
}

const queueName = (url: string): string => url.slice(url.lastIndexOf('/') + 1);
