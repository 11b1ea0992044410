import type { Clock, IdGenerator } from '../../../src/application/ports/clock.port.js';

/** A clock that stands still until told to move. */
export class FixedClock implements Clock {
  constructor(private current: Date = new Date('2026-01-01T00:00:00Z')) {}

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date): void {
    this.current = new Date(to);
  }

  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** Ids 1, 2, 3 … : deterministic lease owners and run nonces. */
export class SequentialIdGenerator implements IdGenerator {
  private counter = 0;

  next(): string {
    return (++this.counter).toString(36).padStart(6, '0');
  }
}
