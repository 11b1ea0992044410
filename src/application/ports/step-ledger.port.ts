/**
 * Makes a step (a scan page, a fetch, a delivery attempt) take effect once although its message may arrive
 * twice or come back after a crash. A step is claimed with a lease; the holder does the work and completes
 * it. A copy that finds the step done or leased to someone else does nothing: the holder's own message
 * comes back by itself if the holder dies, and by then the lease has run out.
 */
export interface StepLedger {
  claim(stepId: string, owner: string, leaseSeconds: number, now: Date): Promise<ClaimResult>;
  /** Marks the step done, with what to remember (a page's item count and cursors, whether it was the last). */
  complete(stepId: string, owner: string, record?: StepRecord): Promise<void>;
  /** Gives up a claim after a failure, so that a retry need not wait for the lease to run out. */
  release(stepId: string, owner: string): Promise<void>;
  /**
   * Whether the step is done: what work that is not claimed first checks before it runs. It may miss a record
   * made a moment ago (the work then runs again, and its `record` answers `done`).
   */
  isDone(stepId: string): Promise<boolean>;
  /**
   * Marks a step done that was not claimed first, with its record, unless it is done already: the first record
   * stands, and a later one answers `done`. Only for work whose every effect holds when it runs twice, even at
   * once (`StepRunner.unclaimed`). A claim still held is taken over: its holder's completion is then ignored.
   */
  record(stepId: string, now: Date, record?: StepRecord): Promise<'recorded' | 'done'>;
  /** The completed steps whose id starts with `prefix`, with their records. */
  completed(prefix: string): Promise<StepRecord[]>;
  /**
   * Drops the unfinished claims of the steps whose id starts with `prefix`, as their holders would release
   * them; returns how many. Only for holders known to be dead (the one process that could hold them has gone),
   * so that their work can be taken up again without waiting for the leases to run out.
   */
  abandonClaims(prefix: string): Promise<number>;
}

export type ClaimResult = 'claimed' | 'done' | 'busy';

/**
 * What a completed step remembers: its tally, and what a resume needs to redo lost work (a page's cursors,
 * the batches it dispatched). Small: a few hundred bytes, a few KB at most.
 */
export type StepRecord = Readonly<Record<string, number | boolean | string>>;
