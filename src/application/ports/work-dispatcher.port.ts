import type { WorkMessage } from '../work-messages.js';

/** Sends work to be done later, by another invocation (SQS in AWS and on the embedded stack). */
export interface WorkDispatcher {
  dispatch(messages: readonly WorkMessage[], options?: { delaySeconds?: number }): Promise<void>;
}
