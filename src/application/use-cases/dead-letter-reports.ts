import { inject, injectable } from 'inversify';
import type { DeadLetter, DeadLetters } from '../ports/dead-letters.port.js';
import { TOKENS } from '../tokens.js';

/** How much of a body `dlq list` shows. */
export const PREVIEW_CHARACTERS = 120;

/** One dead letter as `dlq list` shows it: what it was, why it failed, the start of its body. */
export interface DeadLetterEntry {
  readonly messageId: string;
  readonly reason: string;
  readonly firstSeenAt: string;
  /** The first characters of the body (an ellipsis marks a cut). */
  readonly preview: string;
  readonly bytes: number;
}

/** `dlq list`: the dead letters by source queue, every queue named (an empty one with a count of 0). */
export interface DeadLetterListing {
  readonly queues: readonly {
    readonly queue: string;
    readonly count: number;
    readonly deadLetters: DeadLetterEntry[];
  }[];
  readonly total: number;
}

/** `dlq redrive`: how many dead letters went back to each queue. */
export interface DeadLetterRedrive {
  readonly redriven: Readonly<Record<string, number>>;
  readonly total: number;
}

function entryOf(letter: DeadLetter): DeadLetterEntry {
  const chars = [...letter.body];
  return {
    messageId: letter.messageId,
    reason: letter.reason,
    firstSeenAt: letter.firstSeenAt,
    preview: chars.length > PREVIEW_CHARACTERS ? `${chars.slice(0, PREVIEW_CHARACTERS).join('')}…` : letter.body,
    bytes: Buffer.byteLength(letter.body, 'utf8'),
  };
}

/** Lists the dead letters of the given queues (all of `queues` when none is named), grouped by queue. */
@injectable()
export class ListDeadLetters {
  constructor(@inject(TOKENS.DeadLetters) private readonly deadLetters: DeadLetters) {}

  async execute(queues: readonly string[], only?: string): Promise<DeadLetterListing> {
    const letters = await this.deadLetters.list(only);
    const names = only !== undefined ? [only] : [...new Set([...queues, ...letters.map((l) => l.queue)])];
    const grouped = names.map((queue) => {
      const deadLetters = letters
        .filter((letter) => letter.queue === queue)
        .sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt))
        .map(entryOf);
      return { queue, count: deadLetters.length, deadLetters };
    });
    return { queues: grouped, total: letters.length };
  }
}

/** Puts the dead letters of one queue (or of every queue) back on their source queue, after a fix. */
@injectable()
export class RedriveDeadLetters {
  constructor(@inject(TOKENS.DeadLetters) private readonly deadLetters: DeadLetters) {}

  async execute(only?: string): Promise<DeadLetterRedrive> {
    const moved = await this.deadLetters.redrive(only);
    const redriven: Record<string, number> = {};
    for (const letter of moved) redriven[letter.queue] = (redriven[letter.queue] ?? 0) + 1;
    return { redriven, total: moved.length };
  }
}
