/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How often and how patiently a batch is sent again. */
export interface BackoffPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The wait before the second attempt (its upper bound: the wait is jittered). */
  readonly baseDelayMs: number;
  /** No wait is longer than this. */
  readonly maxDelayMs: number;
}

/**
 * The one back-off of the code base, before attempt `attempt` (2, 3, …): `baseDelayMs · 2^(attempt − 2)`,
 * capped at `maxDelayMs`, jittered over its upper half so that retries of many callers spread out.
 */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.baseDelayMs * 2 ** Math.max(0, attempt - 2), policy.maxDelayMs);
  return cap / 2 + random() * (cap / 2);
}

/**
 * Sends a batch, then what the service left undone (unprocessed items, failed entries), after a back-off each
 * time, at most `maxAttempts` times in all: the one retry loop of every batched request (DynamoDB batches, SQS
 * SendMessageBatch, EventBridge PutEvents). `send` sends what is pending and returns what must be sent again.
 * Returns what is still unsent after the last attempt (nothing when everything got through); a `send` that
 * throws ends the loop with its error.
 */
export async function sendWithRetries<T>(
  entries: readonly T[],
  policy: BackoffPolicy,
  send: (pending: readonly T[], attempt: number) => Promise<readonly T[]>,
): Promise<readonly T[]> {
  let pending = entries;
  for (let attempt = 1; pending.length > 0 && attempt <= policy.maxAttempts; attempt++) {
    if (attempt > 1) await sleep(backoffMs(attempt, policy));
    pending = await send(pending, attempt);
  }
  return pending;
}
