import { inject, injectable } from 'inversify';
import { decodeCursor, encodeCursor, type PagePosition } from '../domain/cursor.js';
import { RelayBoundExceededError } from './errors.js';
import { StepRunner } from './step-runner.js';
import type { Page } from './ports/page.js';
import type { StepLedger } from './ports/step-ledger.port.js';
import type { RelaySettings } from './settings.js';
import { TOKENS } from './tokens.js';

/** Where one relay step stands: which chain, which scan, which page, from which cursor. */
export interface RelayPosition {
  /** One chain per scan: the run for the feed scan, the discovery for a fan-out. */
  readonly chainId: string;
  /** What is scanned (`feeds`, `subscribers:<feedId>`); a cursor of another scope is refused. */
  readonly scope: string;
  readonly page: number;
  readonly cursor?: string;
}

/** What one kind of scan does with its pages. */
export interface RelayLeg<T> {
  read(after: PagePosition | undefined, limit: number): Promise<Page<T>>;
  readonly pageSize: number;
  /** Sends the page's work on; returns how many items became work. */
  dispatchPage(items: readonly T[]): Promise<number>;
  /** Sends the message that continues the scan at `next` in a fresh invocation. */
  relay(next: { readonly page: number; readonly cursor: string }): Promise<void>;
  /**
   * Whether the chain's progress is read back (`progress()`); default true. An untracked leg reads an empty
   * last page without touching the ledger: such a page has no effect to make happen once.
   */
  readonly tracksProgress?: boolean;
}

export type RelayStepResult =
  | { readonly kind: 'scanned'; readonly items: number; readonly dispatched: number; readonly last: boolean }
  | { readonly kind: 'skipped'; readonly reason: 'done' | 'busy' };

/**
 * The relay: read one page, dispatch its work, hand the cursor to the next invocation, until no cursor
 * remains. Both the feed scan and the subscriber fan-out are this one mechanism. Each page is a step of the
 * ledger, so a duplicated cursor message finds its page done (or held) and does nothing: a chain never forks.
 */
@injectable()
export class PageRelay {
  constructor(
    @inject(TOKENS.StepLedger) private readonly ledger: StepLedger,
    @inject(StepRunner) private readonly steps: StepRunner,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
  ) {}

  static stepPrefix(chainId: string): string {
    return `relay#${chainId}#`;
  }

  async step<T>(position: RelayPosition, leg: RelayLeg<T>): Promise<RelayStepResult> {
    if (position.page >= this.settings.maxRelayPages) {
      throw new RelayBoundExceededError(
        `relay ${position.chainId} (${position.scope}) reached its bound of ${this.settings.maxRelayPages} pages`,
      );
    }
    // A malformed or foreign cursor is refused before anything is claimed.
    const after = position.cursor === undefined ? undefined : decodeCursor(position.cursor, position.scope).position;

    let early: Page<T> | undefined;
    if (leg.tracksProgress === false) {
      early = await leg.read(after, leg.pageSize);
      if (early.items.length === 0 && early.next === undefined) {
        return { kind: 'scanned', items: 0, dispatched: 0, last: true };
      }
    }

    const stepId = `${PageRelay.stepPrefix(position.chainId)}${String(position.page).padStart(9, '0')}`;
    const result = await this.steps.once(stepId, async () => {
      const page = early ?? (await leg.read(after, leg.pageSize));
      const dispatched = page.items.length > 0 ? await leg.dispatchPage(page.items) : 0;
      const last = page.next === undefined;
      if (page.next !== undefined) {
        const cursor = encodeCursor({ scope: position.scope, position: page.next });
        await leg.relay({ page: position.page + 1, cursor });
      }
      return {
        value: { items: page.items.length, dispatched, last },
        record: { page: position.page, items: page.items.length, dispatched, last },
      };
    });
    return result.ran ? { kind: 'scanned', ...result.value } : { kind: 'skipped', reason: result.reason };
  }

  /** How far a chain has got: pages done, items dispatched, and whether its last page is done. */
  async progress(chainId: string): Promise<{ pages: number; dispatched: number; complete: boolean }> {
    const records = await this.ledger.completed(PageRelay.stepPrefix(chainId));
    let dispatched = 0;
    let lastPage: number | undefined;
    for (const record of records) {
      dispatched += Number(record.dispatched ?? 0);
      if (record.last === true) lastPage = Number(record.page);
    }
    // Complete when the last page and every page before it are done.
    return { pages: records.length, dispatched, complete: lastPage !== undefined && records.length === lastPage + 1 };
  }
}
