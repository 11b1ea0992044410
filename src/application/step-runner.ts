import { inject, injectable } from 'inversify';
import type { Clock, IdGenerator } from './ports/clock.port.js';
import type { StepLedger, StepRecord } from './ports/step-ledger.port.js';
import type { RelaySettings } from './settings.js';
import { TOKENS } from './tokens.js';

export type OnceResult<T> =
  { readonly ran: true; readonly value: T } | { readonly ran: false; readonly reason: 'done' | 'busy' };

/**
 * Runs work as a step of the ledger, once: only if no one has done it or holds it. The step is claimed with
 * the configured lease, completed (with the record the work returns) when it succeeds, and released when it
 * throws, so that a retry of the same message can claim it again at once.
 */
@injectable()
export class StepRunner {
  /** The steps this runner is running unclaimed (`unclaimed`). */
  private readonly running = new Set<string>();

  constructor(
    @inject(TOKENS.StepLedger) private readonly ledger: StepLedger,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.IdGenerator) private readonly ids: IdGenerator,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
  ) {}

  async once<T>(stepId: string, work: () => Promise<{ value: T; record?: StepRecord }>): Promise<OnceResult<T>> {
    const owner = this.ids.next();
    const claim = await this.ledger.claim(stepId, owner, this.settings.leaseSeconds, this.clock.now());
    if (claim !== 'claimed') return { ran: false, reason: claim };
    let outcome: { value: T; record?: StepRecord };
    try {
      outcome = await work();
    } catch (error) {
      await this.ledger.release(stepId, owner).catch(() => undefined);
      throw error;
    }
    await this.ledger.complete(stepId, owner, outcome.record);
    return { ran: true, value: outcome.value };
  }

  /**
   * Runs work as a step of the ledger without claiming it first, which saves the claim's write: skipped if the
   * step is done, else run, then recorded done with the record the work returns, unless another attempt
   * recorded it first (its record stands, and this attempt's result is not the step's: `done`). Only for work
   * whose every effect holds when two attempts run at once, or one runs again after a crash: effects that are
   * conditional writes, which the second attempt finds made and takes as made (a fetch message's commits).
   * Nothing is held in the ledger, so a failed attempt has nothing to release. Within one environment (this
   * runner), a second attempt while the first runs is `busy`, as a claim would make it: only attempts in two
   * environments at once both run.
   */
  async unclaimed<T>(stepId: string, work: () => Promise<{ value: T; record?: StepRecord }>): Promise<OnceResult<T>> {
    if (this.running.has(stepId)) return { ran: false, reason: 'busy' };
    this.running.add(stepId);
    try {
      if (await this.ledger.isDone(stepId)) return { ran: false, reason: 'done' };
      const outcome = await work();
      const recorded = await this.ledger.record(stepId, this.clock.now(), outcome.record);
      return recorded === 'recorded' ? { ran: true, value: outcome.value } : { ran: false, reason: 'done' };
    } finally {
      this.running.delete(stepId);
    }
  }
}
