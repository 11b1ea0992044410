import { appendFile, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeadLetter, DeadLetters } from '../../application/ports/dead-letters.port.js';
import { FeedrelayError } from '../../domain/errors.js';

/** Sends message bodies to the queue named `queue` (`fetch-feed`, …), as they are. */
export type Requeue = (queue: string, bodies: readonly string[]) => Promise<void>;

/** The dead-letter file has a line that is not a dead letter: it was edited or damaged. */
export class DeadLetterFileError extends FeedrelayError {
  readonly code = 'dead_letter_file_corrupt';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeadLetterFileError';
  }
}

/**
 * Dead letters in a JSON Lines file (one dead letter a line, appended), for the embedded stack whose queues
 * live in memory: what is parked survives the process, and a later command lists or redrives it. A redrive
 * hands the bodies to `requeue` and then rewrites the file without them (a temporary file renamed over it),
 * so a crash in between can at worst send a letter twice, which the step ledger makes harmless. A last line
 * cut short by a crash mid-append is ignored; any other line that is not a dead letter is an error naming
 * the file and the line. A message parked twice (same queue and message id) is kept once. Operations of one
 * instance run one after the other.
 */
export class JsonlDeadLetters implements DeadLetters {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly requeue: Requeue,
  ) {}

  park(letter: DeadLetter): Promise<void> {
    return this.serially(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      // A message parked again (its invocation crashed after parking it) is kept once.
      const known = await this.read();
      if (known.some((l) => l.queue === letter.queue && l.messageId === letter.messageId)) return;
      // After a torn last line, start a new one: the torn one stays alone and is skipped.
      const prefix = (await this.endsMidLine()) ? '\n' : '';
      await appendFile(this.path, `${prefix}${JSON.stringify(letter)}\n`, { encoding: 'utf8', mode: 0o600 });
    });
  }

  list(queue?: string): Promise<DeadLetter[]> {
    return this.serially(async () =>
      oldestFirst((await this.read()).filter((letter) => queue === undefined || letter.queue === queue)),
    );
  }

  redrive(queue?: string): Promise<DeadLetter[]> {
    return this.serially(async () => {
      const letters = await this.read();
      const chosen = letters.filter((letter) => queue === undefined || letter.queue === queue);
      const moved: DeadLetter[] = [];
      try {
        for (const name of [...new Set(chosen.map((letter) => letter.queue))]) {
          const ofQueue = chosen.filter((letter) => letter.queue === name);
          await this.requeue(
            name,
            ofQueue.map((letter) => letter.body),
          );
          moved.push(...ofQueue);
        }
      } finally {
        if (moved.length > 0) await this.write(letters.filter((letter) => !moved.includes(letter)));
      }
      return moved;
    });
  }

  private async endsMidLine(): Promise<boolean> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size === 0) return false;
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      return last[0] !== 0x0a;
    } finally {
      await handle.close();
    }
  }

  private async read(): Promise<DeadLetter[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lines = text.split('\n');
    const letters: DeadLetter[] = [];
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      const torn = index === lines.length - 1; // no newline after it: an append that did not finish
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (cause) {
        if (torn) return;
        throw new DeadLetterFileError(`${this.path}, line ${index + 1}: not JSON`, { cause });
      }
      if (!isDeadLetter(value)) {
        if (torn) return;
        throw new DeadLetterFileError(
          `${this.path}, line ${index + 1}: expected a dead letter {queue, messageId, body, reason, firstSeenAt}`,
        );
      }
      letters.push(value);
    });
    return letters;
  }

  private async write(letters: readonly DeadLetter[]): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, letters.map((letter) => `${JSON.stringify(letter)}\n`).join(''), {
      encoding: 'utf8',
      mode: 0o600,
    });
    await rename(temporary, this.path);
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** Sorted by first-seen time; equal times keep their order (the order they were parked in). */
function oldestFirst(letters: DeadLetter[]): DeadLetter[] {
  return letters.sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt));
}

function isDeadLetter(value: unknown): value is DeadLetter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return ['queue', 'messageId', 'body', 'reason', 'firstSeenAt'].every((field) => typeof record[field] === 'string');
}
