/** The time, and fresh random tokens: both injected so tests can pin them. */
export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A short random token (lease owners, run nonces). */
  next(): string;
}
