import type { Clock, IdGenerator } from './ports/clock.port.js';
import type { StepLedger, StepRecord } from './ports/step-ledger.port.js';

export type OnceResult<T> =
  { readonly ran: true; readonly value: T } | { readonly ran: false; readonly reason: 'done' | 'busy' };

/**
 * Runs `work` as the step `stepId` of the ledger: only if no one has done it or holds it. The step is
 * completed (with the record `work` returns) when it succeeds and released when it throws, so that a retry
 * of the same message can claim it again at once.
 */
export async function once<T>(
  deps: { ledger: StepLedger; clock: Clock; ids: IdGenerator; leaseSeconds: number },
  stepId: string,
  work: () => Promise<{ value: T; record?: StepRecord }>,
): Promise<OnceResult<T>> {
  const owner = deps.ids.next();
  const claim = await deps.ledger.claim(stepId, owner, deps.leaseSeconds, deps.clock.now());
  if (claim !== 'claimed') return { ran: false, reason: claim };
  let outcome: { value: T; record?: StepRecord };
  try {
    outcome = await work();
  } catch (error) {
    await deps.ledger.release(stepId, owner).catch(() => undefined);
    throw error;
  }
  await deps.ledger.complete(stepId, owner, outcome.record);
  return { ran: true, value: outcome.value };
}
