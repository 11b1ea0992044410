/**
 * The bytes of response bodies that the requests sharing it hold at once, counted as they are read (after
 * decoding). A body that takes the total past `bytes` stops reading (its connection is paused) until other
 * bodies are done. One body at a time may read on past the budget, the first to need it: when it is done, the
 * body that has waited longest reads on in its place. So the bodies never all wait for each other, and what they
 * hold is at most `bytes`, plus one body, plus a chunk per body read at once.
 *
 * A fetcher of many feeds at once sizes its memory by this rather than by its concurrency × its largest body.
 */
export class BodyBudget {
  private held = 0;
  /** The body reading on past the budget, if one is. */
  private beyond: BodyAllowance | undefined;
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
    return new BodyAllowance(this);
  }

  /** @internal Counts `bytes` more for `allowance`; whether it may go on reading now. */
  take(allowance: BodyAllowance, bytes: number): boolean {
    this.held += bytes;
    if (this.held <= this.bytes || this.beyond === allowance) return true;
    if (this.beyond !== undefined) return false;
    this.beyond = allowance;
    return true;
  }

  /** @internal Queues `allowance` until the budget has room again (or it may read on past it). */
  wait(allowance: BodyAllowance): void {
    this.waiting.push(allowance);
  }

  /** @internal Frees what `allowance` held, and lets waiting bodies read on. */
  release(allowance: BodyAllowance, bytes: number): void {
    this.held -= bytes;
    const at = this.waiting.indexOf(allowance);
    if (at >= 0) this.waiting.splice(at, 1);
    if (this.beyond === allowance) this.beyond = undefined;
    // Room again: the waiting bodies read on, first come first served (each takes its next chunk, and waits
    // again if that goes past the budget while another body reads on past it).
    while (this.waiting.length > 0 && this.held < this.bytes) this.waiting.shift()!.proceed();
    // No room, and no body past the budget: the one that has waited longest reads on past it.
    if (this.beyond === undefined && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      this.beyond = next;
      next.proceed();
    }
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

  /** @internal The body may read on. */
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
