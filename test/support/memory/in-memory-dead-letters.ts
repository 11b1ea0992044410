import type { DeadLetter, DeadLetters } from '../../../src/application/ports/dead-letters.port.js';
import type { InMemoryQueues } from './in-memory-queues.js';

/** Dead letters in memory: parked in order, redriven onto the in-memory queue they came from. */
export class InMemoryDeadLetters implements DeadLetters {
  private letters: DeadLetter[] = [];

  constructor(private readonly queues: InMemoryQueues) {}

  async park(letter: DeadLetter): Promise<void> {
    if (this.letters.some((l) => l.queue === letter.queue && l.messageId === letter.messageId)) return;
    this.letters.push({ ...letter });
  }

  async list(queue?: string): Promise<DeadLetter[]> {
    return this.letters
      .filter((letter) => queue === undefined || letter.queue === queue)
      .map((letter) => ({ ...letter }))
      .sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt));
  }

  async redrive(queue?: string): Promise<DeadLetter[]> {
    const chosen = await this.list(queue);
    this.letters = this.letters.filter((letter) => queue !== undefined && letter.queue !== queue);
    for (const letter of chosen) this.queues.send(letter.queue, letter.body);
    return chosen;
  }
}
