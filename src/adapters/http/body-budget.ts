/**
 * The bytes of response bodies that the requests sharing it hold at once, counted as they are read (after
 * decoding). A body that would take the total past `bytes` stops reading (its connection is paused) until other
 * bodies are done, except the oldest body still being read, which always reads on: the one that has waited
 * longest finishes, frees its bytes, and the next reads on in turn, so the bodies never all wait for each
 * other. What they hold is at most `bytes`, plus the oldest body, plus a chunk per body read at once.
 *
 * A fetcher of many feeds at once sizes its memory by this rather than by its concurrency × its largest body.
 */
export class BodyBudget {
  private held = 0;
  /** The bodies being read, oldest first (a Set keeps the order of insertion). */
  private readonly open = new Set<BodyAllowance>();
  /** The bodies waiting for bytes, first come first served. */
  private readonly waiting: BodyAllowance[] = [];

  constructor(readonly bytes: number) {
    if (!Number.isSafeInteger(bytes) || bytes < 1) {
      throw new RangeError(`a body budget is a positive whole number of bytes, not ${bytes}`);
    }
  }

  /** The bytes the bodies being read hold now. */
  get heldBytes(): number {
    return this.held;
  }

  /** A body begins to be read; `release` its allowance once it is done with (read, failed or dropped). */
  begin(): BodyAllowance {
    const allowance = new BodyAllowance(this);
    this.open.add(allowance);
    return allowance;
  }

  /** @internal Counts `bytes` more for `allowance`; whether it may go on reading now. */
  take(allowance: BodyAllowance, bytes: number): boolean {
    this.held += bytes;
    return this.held <= this.bytes || this.isOldest(allowance);
  }

  /** @internal Queues `allowance` until the budget has room again (or it is the oldest). */
  wait(allowance: BodyAllowance): void {
    this.waiting.push(allowance);
  }

  /** @internal Frees what `allowance` held, and lets waiting bodies read on while there is room. */
  release(allowance: BodyAllowance, bytes: number): void {
    this.held -= bytes;
    this.open.delete(allowance);
    this.dequeue(allowance);
    // Room again: the waiting bodies read on, first come first served (each takes its next chunk and waits
    // again if that goes past the budget).
    while (this.waiting.length > 0 && this.held < this.bytes) this.waiting.shift()!.proceed();
    // And the oldest body always reads on.
    const oldest = this.oldest();
    if (oldest !== undefined && this.dequeue(oldest)) oldest.proceed();
  }

  private dequeue(allowance: BodyAllowance): boolean {
    const at = this.waiting.indexOf(allowance);
    if (at >= 0) this.waiting.splice(at, 1);
    return at >= 0;
  }

  private oldest(): BodyAllowance | undefined {
    return this.open.values().next().value;
  }

  private isOldest(allowance: BodyAllowance): boolean {
    return this.oldest() === allowance;
  }
}

/** One body's share of a `BodyBudget`. */
export class BodyAllowance {
  private bytes = 0;
  private released = false;
  private resume: (() => void) | undefined;

  constructor(private readonly budget: BodyBudget) {}

  /**
   * Counts a chunk the body has just read (it is held already); true when the body may read on, else false, and
   * `resume` is called once it may.
   */
  take(bytes: number, resume: () => void): boolean {
    if (this.released) return true;
    this.bytes += bytes;
    if (this.budget.take(this, bytes)) return true;
    this.resume = resume;
    this.budget.wait(this);
    return false;
  }

  /** @internal The budget has room for this body again. */
  proceed(): void {
    const resume = this.resume;
    this.resume = undefined;
    resume?.();
  }

  /** Frees the body's bytes; once only, and a resume still pending is dropped. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.resume = undefined;
    this.budget.release(this, this.bytes);
    this.bytes = 0;
  }
}
