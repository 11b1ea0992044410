import type { ClaimResult, StepLedger, StepRecord } from '../../application/ports/step-ledger.port.js';

interface Step {
  state: 'claimed' | 'done';
  owner: string;
  leaseUntil: number;
  record?: StepRecord;
}

/** The step ledger in memory, with the same claim rules as the DynamoDB one's conditional writes. */
export class InMemoryStepLedger implements StepLedger {
  private readonly steps = new Map<string, Step>();

  async claim(stepId: string, owner: string, leaseSeconds: number, now: Date): Promise<ClaimResult> {
    const step = this.steps.get(stepId);
    if (step?.state === 'done') return 'done';
    if (step && step.leaseUntil > now.getTime()) return 'busy';
    this.steps.set(stepId, { state: 'claimed', owner, leaseUntil: now.getTime() + leaseSeconds * 1000 });
    return 'claimed';
  }

  async complete(stepId: string, owner: string, record?: StepRecord): Promise<void> {
    const step = this.steps.get(stepId);
    if (!step || step.owner !== owner || step.state === 'done') return;
    this.steps.set(stepId, { ...step, state: 'done', ...(record ? { record } : {}) });
  }

  async release(stepId: string, owner: string): Promise<void> {
    const step = this.steps.get(stepId);
    if (step && step.state === 'claimed' && step.owner === owner) this.steps.delete(stepId);
  }

  async isDone(stepId: string): Promise<boolean> {
    return this.steps.get(stepId)?.state === 'done';
  }

  async record(stepId: string, now: Date, record?: StepRecord): Promise<'recorded' | 'done'> {
    if (this.steps.get(stepId)?.state === 'done') return 'done';
    this.steps.set(stepId, { state: 'done', owner: '', leaseUntil: now.getTime(), ...(record ? { record } : {}) });
    return 'recorded';
  }

  async completed(prefix: string): Promise<StepRecord[]> {
    const records: StepRecord[] = [];
    for (const [id, step] of this.steps) {
      if (id.startsWith(prefix) && step.state === 'done') records.push(step.record ?? {});
    }
    return records;
  }

  async abandonClaims(prefix: string): Promise<number> {
    let count = 0;
    for (const [id, step] of this.steps) {
      if (id.startsWith(prefix) && step.state === 'claimed') {
        this.steps.delete(id);
        count++;
      }
    }
    return count;
  }
}
