import { randomUUID } from 'node:crypto';
import { injectable } from 'inversify';
import type { Clock, IdGenerator } from '../../application/ports/clock.port.js';

@injectable()
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

@injectable()
export class RandomIdGenerator implements IdGenerator {
  next(): string {
    return randomUUID().replace(/-/g, '').slice(0, 16);
  }
}
