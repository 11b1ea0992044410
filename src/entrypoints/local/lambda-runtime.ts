import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { pino, type Logger } from 'pino';
import { faultRandom, NO_FAULTS, type FaultSettings } from './aws-faults.js';
import { QUEUES, SQS_RECEIVE_MAX, type QueueKey } from '../../adapters/aws-resources.js';
import { SqsDeadLetters } from '../../adapters/sqs/sqs-dead-letters.js';
import type { DeadLetters } from '../../application/ports/dead-letters.port.js';
import { sleep } from '../../application/retry.js';
import type { QueueUrls } from '../../adapters/sqs/tokens.js';
import type { SqsHandler } from '../lambda/handlers.js';
import type { SqsRecord } from '../lambda/sqs-batch.js';
import { LOCAL_VISIBILITY_TIMEOUT_SECONDS, type EmbeddedStack } from './embedded-stack.js';

export const DEFAULT_CONCURRENCY = 5;

export interface LambdaRuntimeOptions {
  /** The platform's own client (see `EmbeddedStack.platformSqs`): polling is not the application's traffic. */
  readonly sqs: SQSClient;
  readonly queueUrls: QueueUrls;
  readonly deadLetterQueueUrls: QueueUrls;
  /** The handler of each queue to drive; queues without one are left alone. */
  readonly handlers: Partial<Record<QueueKey, SqsHandler>>;
  /** Invocations running at once per queue, like an event source's maximum concurrency. Default 5. */
  readonly concurrency?: number;
  /** How long a received message stays invisible; default 10 s (AWS: 6 × the function time-out). */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll wait per ReceiveMessage; also bounds how long `stop()` takes. Default 1 s. */
  readonly waitTimeSeconds?: number;
  /** `duplicate` and `crash` are applied here (`aws` by the stack's clients). */
  readonly faults?: FaultSettings;
  readonly logger?: Logger;
  /**
   * Where dead letters are kept for good (the embedded stack's file). What a queue's redrive policy moves to
   * its in-memory dead-letter queue is moved on there every second and once more by `stop()`, with one log
   * line each; `listDeadLetters()` counts what it holds too.
   */
  readonly keepDeadLetters?: DeadLetters;
}

/** What the runtime did, for logs and tests. */
export interface RuntimeStats {
  invocations: number;
  records: number;
  /** Records reported failed (or in a batch whose handler threw). */
  failedRecords: number;
  /** Invocations whose handler threw: the whole batch failed. */
  threw: number;
  /** Messages handed over a second time by the `duplicate` fault. */
  duplicated: number;
  /** Invocations discarded after they ran by the `crash` fault. */
  crashed: number;
  deleted: number;
  /** Records each queue's handler completed (for progress reports). */
  completed: Partial<Record<QueueKey, number>>;
}

/** A record as Lambda's SQS event source builds it (the fields the handlers read, and the usual others). */
interface LambdaSqsRecord extends SqsRecord {
  readonly receiptHandle: string;
  readonly md5OfBody: string;
  readonly attributes: { readonly ApproximateReceiveCount: string; readonly SentTimestamp?: string };
  readonly messageAttributes: Record<string, never>;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

/**
 * Drives the queues of the embedded stack as Lambda's SQS event source does: per queue a long-polling poller
 * that starts up to `concurrency` invocations, each with one batch (the queue's batch size, at most the 10 of
 * one ReceiveMessage); it deletes what succeeded, leaves what failed to come back after the visibility
 * time-out, and lets the queue's redrive policy move a message to its dead-letter queue after
 * `maxReceiveCount` receives. A handler that throws fails
 * its whole batch. With faults, some messages are handed over twice and some invocations are discarded.
 */
export class LambdaRuntime {
  private readonly concurrency: number;
  private readonly visibilityTimeoutSeconds: number;
  private readonly waitTimeSeconds: number;
  private readonly faults: FaultSettings;
  private readonly logger: Logger;
  private readonly duplicateRandom: () => number;
  private readonly crashRandom: () => number;
  private readonly queues: QueueKey[];
  private readonly running = new Map<QueueKey, number>();
  private readonly invocations = new Set<Promise<void>>();
  private readonly slotWaiters = new Map<QueueKey, () => void>();
  private readonly counters: RuntimeStats = {
    invocations: 0,
    records: 0,
    failedRecords: 0,
    threw: 0,
    duplicated: 0,
    crashed: 0,
    deleted: 0,
    completed: {},
  };
  private pollers: Promise<void>[] = [];
  private stopping = false;
  private readonly deadLetterQueues: SqsDeadLetters;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private sweeping: Promise<void> = Promise.resolve();

  constructor(private readonly options: LambdaRuntimeOptions) {
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? LOCAL_VISIBILITY_TIMEOUT_SECONDS;
    this.waitTimeSeconds = options.waitTimeSeconds ?? 1;
    this.faults = options.faults ?? NO_FAULTS;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.duplicateRandom = faultRandom(this.faults, 'duplicate');
    this.crashRandom = faultRandom(this.faults, 'crash');
    this.queues = (Object.keys(QUEUES) as QueueKey[]).filter((key) => options.handlers[key] !== undefined);
    this.deadLetterQueues = new SqsDeadLetters(options.sqs, options.queueUrls, options.deadLetterQueueUrls, {
      waitTimeSeconds: 0,
    });
  }

  /** Starts one poller per queue that has a handler; a runtime that is already running stays as it is. */
  start(): this {
    if (this.stopping) throw new Error('the runtime runs once: create a new one');
    if (this.pollers.length > 0) return this;
    this.pollers = this.queues.map((queue) => this.poll(queue));
    if (this.options.keepDeadLetters) {
      this.sweeper = setInterval(() => void this.sweepDeadLetters(), 1000);
      this.sweeper.unref();
    }
    return this;
  }

  stats(): Readonly<RuntimeStats> {
    return { ...this.counters, completed: { ...this.counters.completed } };
  }

  /**
   * True when no invocation runs and no driven queue holds a visible or in-flight message. Delayed messages
   * (retries parked for later) do not count: they are not work for now.
   */
  async idle(): Promise<boolean> {
    if (this.invocations.size > 0) return false;
    const depths = await Promise.all(
      this.queues.map((queue) =>
        this.attributes(this.options.queueUrls[queue], [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
        ]),
      ),
    );
    return this.invocations.size === 0 && depths.every((depth) => depth === 0);
  }

  /**
   * Resolves once `idle()` holds twice in a row (a message may be between two queues at the first look).
   * With `signal`, stops looking once it aborts and rejects with its reason.
   */
  async waitForIdle(options: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const { timeoutMs = 300_000, intervalMs = 50, signal } = options;
    const deadline = Date.now() + timeoutMs;
    for (let quiet = 0; quiet < 2;) {
      signal?.throwIfAborted();
      quiet = (await this.idle()) ? quiet + 1 : 0;
      signal?.throwIfAborted();
      if (quiet === 2) return;
      if (Date.now() > deadline) throw new Error(`the queues did not become idle within ${timeoutMs} ms`);
      await sleep(intervalMs);
    }
  }

  /** Messages held in each dead-letter queue, and in the dead letters kept for good (if any). */
  async listDeadLetters(): Promise<Record<QueueKey, number>> {
    const counts = {} as Record<QueueKey, number>;
    const kept = (await this.options.keepDeadLetters?.list()) ?? [];
    await Promise.all(
      (Object.keys(QUEUES) as QueueKey[]).map(async (queue) => {
        counts[queue] =
          (await this.attributes(this.options.deadLetterQueueUrls[queue], [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ])) + kept.filter((letter) => letter.queue === QUEUES[queue].name).length;
      }),
    );
    return counts;
  }

  /**
   * Stops taking work: the pollers stop (within the long-poll wait) and hand back what they receive meanwhile.
   * Then waits for the running invocations to finish — at most `graceMs` when given — keeps the dead letters,
   * and answers how many invocations were still running when it stopped waiting (their messages come back
   * after the visibility time-out, as after a Lambda time-out).
   */
  async stop(options: { graceMs?: number } = {}): Promise<{ abandoned: number }> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const wake of this.slotWaiters.values()) wake();
    await Promise.all(this.pollers);
    const finished = Promise.allSettled([...this.invocations]).then(() => true);
    let done = true;
    if (options.graceMs === undefined) await finished;
    else {
      let timer: NodeJS.Timeout | undefined;
      done = await Promise.race([
        finished,
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), options.graceMs))),
      ]);
      clearTimeout(timer);
    }
    if (this.options.keepDeadLetters) await this.sweepDeadLetters();
    return { abandoned: done ? 0 : this.invocations.size };
  }

  /** Moves what the redrive policies dead-lettered to the dead letters kept for good; one sweep at a time. */
  private sweepDeadLetters(): Promise<void> {
    const keep = this.options.keepDeadLetters;
    if (!keep) return Promise.resolve();
    this.sweeping = this.sweeping.then(async () => {
      try {
        for (const letter of await this.deadLetterQueues.moveTo(keep)) {
          this.logger.error(
            { queue: letter.queue, messageId: letter.messageId, reason: letter.reason },
            `${letter.queue}: message ${letter.messageId} dead-lettered: ${letter.reason}`,
          );
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'moving dead letters to the data directory failed; trying again');
      }
    });
    return this.sweeping;
  }

  private async poll(queue: QueueKey): Promise<void> {
    const url = this.options.queueUrls[queue];
    while (!this.stopping) {
      if ((this.running.get(queue) ?? 0) >= this.concurrency) {
        await new Promise<void>((resolve) => this.slotWaiters.set(queue, resolve));
        continue;
      }
      let messages: Message[];
      try {
        const response = await this.options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: Math.min(QUEUES[queue].batchSize, SQS_RECEIVE_MAX),
            WaitTimeSeconds: this.waitTimeSeconds,
            VisibilityTimeout: this.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        );
        messages = response.Messages ?? [];
      } catch (error) {
        if (this.stopping) break;
        this.logger.warn({ queue, err: error }, `${queue}: receive failed, polling again`);
        await sleep(200);
        continue;
      }
      if (messages.length === 0) continue;
      if (this.stopping) {
        await this.release(url, messages);
        break;
      }
      this.running.set(queue, (this.running.get(queue) ?? 0) + 1);
      const invocation = this.invoke(queue, url, messages).finally(() => {
        this.running.set(queue, (this.running.get(queue) ?? 1) - 1);
        this.invocations.delete(invocation);
        const wake = this.slotWaiters.get(queue);
        this.slotWaiters.delete(queue);
        wake?.();
      });
      this.invocations.add(invocation);
    }
  }

  /** One invocation (two, when the `duplicate` fault hands some messages over again); then the deletes. */
  private async invoke(queue: QueueKey, url: string, messages: readonly Message[]): Promise<void> {
    const records = messages.map((message) => this.recordOf(queue, url, message));
    const twins = this.faults.duplicate > 0 ? records.filter(() => this.duplicateRandom() < this.faults.duplicate) : [];
    this.counters.duplicated += twins.length;
    // In AWS an invocation ends (by its time-out at the latest) long before its batch's visibility runs out
    // (6 × the time-out). Here nothing stops a slow invocation on a busy machine, so its messages are kept
    // invisible while it runs, rather than handed to a second invocation mid-way.
    const keepInvisible = setInterval(
      () => void this.extendVisibility(url, messages),
      (this.visibilityTimeoutSeconds * 1000) / 2,
    );
    let results: string[][];
    try {
      const runs = [this.run(queue, records)];
      if (twins.length > 0) runs.push(this.run(queue, twins));
      results = await Promise.all(runs);
    } finally {
      clearInterval(keepInvisible);
    }
    // As with two receipts of one SQS message: whichever invocation succeeds deletes it.
    const succeeded = new Set(results.flat());
    const done = messages.filter((message) => succeeded.has(message.MessageId!));
    if (done.length === 0) return;
    try {
      const response = await this.options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: done.map((message, index) => ({ Id: `d${index}`, ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
      this.counters.deleted += response.Successful?.length ?? 0;
      if (response.Failed?.length) {
        this.logger.warn({ queue, failed: response.Failed }, `${queue}: some deletes failed; those messages come back`);
      }
    } catch (error) {
      this.logger.warn({ queue, err: error }, `${queue}: delete failed; the batch comes back`);
    }
  }

  /** Runs the handler on one batch; answers the message ids it completed (none if it threw or "crashed"). */
  private async run(queue: QueueKey, records: readonly LambdaSqsRecord[]): Promise<string[]> {
    const handler = this.options.handlers[queue]!;
    this.counters.invocations++;
    this.counters.records += records.length;
    const ids = new Set(records.map((record) => record.messageId));
    let failed: Set<string>;
    try {
      const response = await handler({ Records: records });
      failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      // As Lambda does: a failure naming no record of the batch fails the whole batch.
      if ([...failed].some((id) => !ids.has(id))) failed = ids;
    } catch (error) {
      this.counters.threw++;
      this.logger.warn({ queue, err: error }, `${queue}: handler threw; the whole batch comes back`);
      failed = ids;
    }
    const failedCount = records.filter((record) => failed.has(record.messageId)).length;
    this.counters.failedRecords += failedCount;
    this.counters.completed[queue] = (this.counters.completed[queue] ?? 0) + records.length - failedCount;
    if (this.faults.crash > 0 && this.crashRandom() < this.faults.crash) {
      this.counters.crashed++;
      this.logger.debug({ queue, records: records.length }, `${queue}: invocation discarded (crash fault)`);
      return [];
    }
    return [...ids].filter((id) => !failed.has(id));
  }

  private recordOf(queue: QueueKey, url: string, message: Message): LambdaSqsRecord {
    return {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      md5OfBody: message.MD5OfBody ?? '',
      attributes: {
        ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
        ...(message.Attributes?.SentTimestamp ? { SentTimestamp: message.Attributes.SentTimestamp } : {}),
      },
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${url.slice(url.lastIndexOf('/') + 1) || queue}`,
      awsRegion: 'us-east-1',
    };
  }

  /** Makes running messages invisible for another visibility time-out. */
  private async extendVisibility(url: string, messages: readonly Message[]): Promise<void> {
    for (let at = 0; at < messages.length; at += 10) {
      await this.options.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: url,
            Entries: messages.slice(at, at + 10).map((message, index) => ({
              Id: `v${index}`,
              ReceiptHandle: message.ReceiptHandle!,
              VisibilityTimeout: this.visibilityTimeoutSeconds,
            })),
          }),
        )
        .catch(() => undefined);
    }
  }

  /** Hands messages received while stopping back to the queue at once. */
  private async release(url: string, messages: readonly Message[]): Promise<void> {
    await this.options.sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: messages.map((message, index) => ({
            Id: `r${index}`,
            ReceiptHandle: message.ReceiptHandle!,
            VisibilityTimeout: 0,
          })),
        }),
      )
      .catch(() => undefined);
  }

  private async attributes(
    url: string,
    names: (
      'ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesNotVisible' | 'ApproximateNumberOfMessagesDelayed'
    )[],
  ): Promise<number> {
    const { Attributes = {} } = await this.options.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }),
    );
    return names.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
  }
}

/** A runtime over the embedded stack's queues, with its platform client, time-outs and faults. */
export function createLambdaRuntime(
  stack: EmbeddedStack,
  handlers: Partial<Record<QueueKey, SqsHandler>>,
  options: Pick<LambdaRuntimeOptions, 'concurrency' | 'waitTimeSeconds' | 'logger' | 'faults' | 'keepDeadLetters'> = {},
): LambdaRuntime {
  return new LambdaRuntime({
    sqs: stack.platformSqs,
    queueUrls: stack.queueUrls,
    deadLetterQueueUrls: stack.deadLetterQueueUrls,
    handlers,
    visibilityTimeoutSeconds: stack.visibilityTimeoutSeconds,
    faults: stack.faults,
    ...options,
  });
}
