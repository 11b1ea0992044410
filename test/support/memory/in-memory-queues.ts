import { randomUUID } from 'node:crypto';

/** A message as an SQS event source hands it to a handler. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: { readonly ApproximateReceiveCount: string };
  readonly eventSourceARN: string;
}

export interface BatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

export type QueueHandler = (records: QueueRecord[]) => Promise<BatchResponse>;

interface Held {
  readonly messageId: string;
  readonly body: string;
  receives: number;
  delayed: boolean;
}

export interface DrainOptions {
  readonly batchSize?: number;
  /** Share of deliveries handed to the handler twice (SQS delivers at least once). */
  readonly duplicateRate?: number;
  /** Share of batches whose outcome is thrown away after they ran, as after a crash: all of it comes back. */
  readonly crashRate?: number;
  /**
   * Share of messages lost before any handler sees them, as a message that expires, is dead-lettered, or dies
   * with the process that held it: only a resume brings their work back.
   */
  readonly lossRate?: number;
  /** Also run the messages sent with a delay (retries); otherwise they stay parked. */
  readonly runDelayed?: boolean;
  readonly maxReceiveCount?: number;
  readonly random?: () => number;
}

/**
 * Named queues in memory with the delivery semantics the handlers must survive: batches, partial batch
 * failures, redelivery, duplicates, crashes and a dead-letter list. Deterministic when given a seeded random.
 */
export class InMemoryQueues {
  private readonly queues = new Map<string, Held[]>();
  readonly deadLetters: { queue: string; body: string }[] = [];
  /** The messages `lossRate` threw away. */
  readonly lost: { queue: string; body: string }[] = [];
  readonly sentCount = new Map<string, number>();

  send(queue: string, body: string, delaySeconds = 0): void {
    this.queue(queue).push({ messageId: randomUUID(), body, receives: 0, delayed: delaySeconds > 0 });
    this.sentCount.set(queue, (this.sentCount.get(queue) ?? 0) + 1);
  }

  depth(queue: string): number {
    return this.queues.get(queue)?.length ?? 0;
  }

  bodies(queue: string): string[] {
    return (this.queues.get(queue) ?? []).map((m) => m.body);
  }

  /** Runs the handlers until every queue is empty (or holds only parked, delayed messages). */
  async drain(handlers: Readonly<Record<string, QueueHandler>>, options: DrainOptions = {}): Promise<void> {
    const { batchSize = 10, duplicateRate = 0, crashRate = 0, lossRate = 0, maxReceiveCount = 5 } = options;
    const random = options.random ?? Math.random;
    for (;;) {
      const name = [...this.queues.keys()].find((q) =>
        this.queues.get(q)!.some((m) => options.runDelayed || !m.delayed),
      );
      if (name === undefined) return;
      const handler = handlers[name];
      if (!handler) throw new Error(`no handler for queue ${name}`);
      const queue = this.queues.get(name)!;
      const batch: Held[] = [];
      for (let i = 0; i < queue.length && batch.length < batchSize;) {
        const message = queue[i]!;
        if (options.runDelayed || !message.delayed) {
          queue.splice(i, 1);
          if (random() >= lossRate) batch.push(message);
          else this.lost.push({ queue: name, body: message.body });
        } else i++;
      }
      if (batch.length === 0) continue;
      const records: QueueRecord[] = [];
      for (const message of batch) {
        message.receives++;
        message.delayed = false;
        const record = {
          messageId: message.messageId,
          body: message.body,
          attributes: { ApproximateReceiveCount: String(message.receives) },
          eventSourceARN: `arn:memory:${name}`,
        };
        records.push(record);
        if (random() < duplicateRate) records.push(record);
      }
      const response = await handler(records);
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      const crashed = random() < crashRate;
      for (const message of batch) {
        if (!crashed && !failed.has(message.messageId)) continue;
        if (message.receives >= maxReceiveCount) this.deadLetters.push({ queue: name, body: message.body });
        else queue.push(message);
      }
    }
  }

  private queue(name: string): Held[] {
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = []));
    return queue;
  }
}
