import { inject, injectable } from 'inversify';
import { DeliveryAttempts, MAX_DELAY_SECONDS, type DeliveryTally } from '../delivery-attempts.js';
import type { Clock } from '../ports/clock.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import { deliveryStepId } from '../step-ids.js';
import { StepRunner } from '../step-runner.js';
import { TOKENS } from '../tokens.js';
import type { DeliverMessage } from '../work-messages.js';

export type DeliverBatchResult =
  | { readonly kind: 'skipped'; readonly reason: 'done' | 'busy' | 'waiting' }
  | { readonly kind: 'attempted'; readonly tally: DeliveryTally; readonly retryInSeconds?: number };

/**
 * Delivers one batch of a fan-out (`DeliveryAttempts`): the attempt is one step of the ledger, completed with
 * its tally, so that a duplicated message delivers nothing twice. A message whose Retry-After is further off
 * than SQS can delay a message waits it out in hops.
 */
@injectable()
export class DeliverBatch {
  constructor(
    @inject(DeliveryAttempts) private readonly attempts: DeliveryAttempts,
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(StepRunner) private readonly steps: StepRunner,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async execute(message: DeliverMessage): Promise<DeliverBatchResult> {
    const wait = message.notBefore ? Math.ceil((Date.parse(message.notBefore) - this.clock.now().getTime()) / 1000) : 0;
    if (wait > 0) {
      // A Retry-After longer than SQS can delay a message is waited out in hops of at most 900 s.
      await this.work.dispatch([message], { delaySeconds: Math.min(MAX_DELAY_SECONDS, wait) });
      return { kind: 'skipped', reason: 'waiting' };
    }
    const result = await this.steps.once(deliveryStepId(message), async () => {
      const outcome = await this.attempts.attempt(message);
      const { retry: _ids, ...value } = outcome;
      return { value, record: this.attempts.recordOf(message, outcome) };
    });
    return result.ran ? result.value : { kind: 'skipped', reason: result.reason };
  }
}
