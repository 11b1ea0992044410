import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkDispatcher } from '../../application/ports/work-dispatcher.port.js';
import type { WorkMessage } from '../../application/work-messages.js';

interface Parked {
  readonly body: string;
  /** Epoch ms when the message is due. */
  readonly dueAt: number;
}

/**
 * Keeps messages sent with a delay (delivery retries) on disk until they have been handled. The embedded
 * stack's queues live in memory, so without this a retry parked when `crawl` returns would be lost with the
 * process; the next command that opens the data directory sends what is parked again (a message handled twice
 * changes nothing: every effect is a step of the ledger).
 */
export class ParkingLot {
  constructor(private readonly dir: string) {}

  private file(body: string): string {
    return join(this.dir, `${createHash('sha256').update(body).digest('hex').slice(0, 32)}.json`);
  }

  async park(body: string, dueAt: number): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.file(body), JSON.stringify({ body, dueAt } satisfies Parked));
  }

  /** Forgets a message once it has been handled, unless handling it parked it again for later. */
  async release(body: string, now = Date.now()): Promise<void> {
    const file = this.file(body);
    const parked = await readFile(file, 'utf8').then(
      (text) => JSON.parse(text) as Parked,
      () => undefined,
    );
    if (parked && parked.dueAt <= now + 1000) await rm(file, { force: true });
  }

  async all(): Promise<Parked[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const parked: Parked[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      try {
        parked.push(JSON.parse(await readFile(join(this.dir, name), 'utf8')) as Parked);
      } catch {
        await rm(join(this.dir, name), { force: true });
      }
    }
    return parked;
  }

  /** Sends every parked message again, with what is left of its delay. */
  async resume(dispatcher: WorkDispatcher, now: number): Promise<number> {
    const parked = await this.all();
    for (const { body, dueAt } of parked) {
      const delaySeconds = Math.min(900, Math.max(0, Math.ceil((dueAt - now) / 1000)));
      await dispatcher.dispatch([JSON.parse(body) as WorkMessage], { delaySeconds });
    }
    return parked.length;
  }
}

/** A work dispatcher that parks every delayed message in the parking lot before sending it. */
export class ParkingWorkDispatcher implements WorkDispatcher {
  constructor(
    private readonly inner: WorkDispatcher,
    private readonly lot: ParkingLot,
  ) {}

  async dispatch(messages: readonly WorkMessage[], options: { delaySeconds?: number } = {}): Promise<void> {
    const delay = options.delaySeconds ?? 0;
    if (delay > 0) {
      const dueAt = Date.now() + delay * 1000;
      for (const message of messages) await this.lot.park(JSON.stringify(message), dueAt);
    }
    await this.inner.dispatch(messages, options);
  }
}
