import type { InMemoryQueues } from '../../support/memory/in-memory-queues.js';

const QUEUES = ['scan-feeds', 'fetch-feed', 'start-fan-out', 'scan-subscribers', 'deliver'] as const;
export type QueueName = (typeof QUEUES)[number];

/**
 * Empties every queue and returns what each held, parsed: a way to assess "what the queue holds" and to hand
 * a message on by hand, one step at a time. Parked (delayed) messages are taken too when `runDelayed` is set.
 */
export async function takeHeld(
  queues: InMemoryQueues,
  options: { runDelayed?: boolean } = {},
): Promise<Record<QueueName, Record<string, unknown>[]>> {
  const held = Object.fromEntries(QUEUES.map((q) => [q, [] as Record<string, unknown>[]])) as Record<
    QueueName,
    Record<string, unknown>[]
  >;
  const handlers = Object.fromEntries(
    QUEUES.map((q) => [
      q,
      async (records: { body: string }[]) => {
        for (const record of records) held[q].push(JSON.parse(record.body) as Record<string, unknown>);
        return { batchItemFailures: [] };
      },
    ]),
  );
  await queues.drain(handlers, { runDelayed: options.runDelayed === true });
  return held;
}
