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
}
