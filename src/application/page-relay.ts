import { inject, injectable } from 'inversify';
import { decodeCursor, encodeCursor, type PagePosition } from '../domain/cursor.js';
import { RelayBoundExceededError } from './errors.js';
import { StepRunner } from './step-runner.js';
import type { Page } from './ports/page.js';
import type { StepLedger, StepRecord } from './ports/step-ledger.port.js';
import type { RelaySettings } from './settings.js';
import { TOKENS } from './tokens.js';

/** Where one relay step stands: which chain, which scan, which page, from which cursor. */
export interface RelayPosition {
  /**
   * Where the chain's page steps live in the ledger: step ids are this prefix and the page number. One chain
   * per scan segment of a run, one per shard of a discovery's fan-out.
   */
  readonly steps: string;
  /** What is scanned (`feeds`, `subscribers:<feedId>`); a cursor of another scope is refused. */
  readonly scope: string;
  readonly page: number;
  readonly cursor?: string;
}

/** What one kind of scan does with its pages. */
export interface RelayLeg<T> {
  read(after: PagePosition | undefined, limit: number): Promise<Page<T>>;
  readonly pageSize: number;
  /**
   * Sends the page's work on (`last`: no page follows it); returns how many items became work, and what the
   * page's record must keep for a resume to send again the part of that work that was lost. Work the page does
   * itself is `finish`: it runs once the next page is on its way, within the page's step, and what it returns
   * joins the page's record.
   */
  dispatchPage(items: readonly T[], last: boolean): Promise<PageWork>;
  /** Sends the message that continues the scan at `next` in a fresh invocation. */
  relay(next: { readonly page: number; readonly cursor: string }): Promise<void>;
}

/** What a page's dispatch did, and the work it left for the page step itself. */
export interface PageWork {
  readonly dispatched: number;
  readonly record?: StepRecord;
  readonly finish?: () => Promise<StepRecord>;
}

/** A page step's record: its tally, and the cursors a resume needs to read the page again or go on after it. */
export interface PageRecord {
  readonly page: number;
  readonly items: number;
  readonly dispatched: number;
  readonly last: boolean;
  /** The cursor the page was read from (absent: the first page). */
  readonly cursor?: string;
  /** The cursor of the page after it (absent: the last page). */
  readonly next?: string;
  /** What the leg kept about the work it dispatched. */
  readonly extra: StepRecord;
}

/** How far a chain has got. */
export interface ChainProgress {
  readonly pages: readonly PageRecord[];
  readonly dispatched: number;
  /** Its last page and every page before it are done. */
  readonly complete: boolean;
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

  async step<T>(position: RelayPosition, leg: RelayLeg<T>): Promise<RelayStepResult> {
    if (position.page >= this.settings.maxRelayPages) {
      throw new RelayBoundExceededError(
        `relay ${position.steps} (${position.scope}) reached its bound of ${this.settings.maxRelayPages} pages`,
      );
    }
    // A malformed or foreign cursor is refused before anything is claimed.
    const after = position.cursor === undefined ? undefined : decodeCursor(position.cursor, position.scope).position;

    const stepId = pageStepId(position.steps, position.page);
    const result = await this.steps.once(stepId, async () => {
      const page = await leg.read(after, leg.pageSize);
      const last = page.next === undefined;
      const work = await leg.dispatchPage(page.items, last);
      let next: string | undefined;
      if (page.next !== undefined) {
        next = encodeCursor({ scope: position.scope, position: page.next });
        await leg.relay({ page: position.page + 1, cursor: next });
      }
      const finished = work.finish ? await work.finish() : undefined;
      return {
        value: { items: page.items.length, dispatched: work.dispatched, last },
        record: {
          ...work.record,
          ...finished,
          page: position.page,
          items: page.items.length,
          dispatched: work.dispatched,
          last,
          ...(position.cursor !== undefined ? { cursor: position.cursor } : {}),
          ...(next !== undefined ? { next } : {}),
        },
      };
    });
    return result.ran ? { kind: 'scanned', ...result.value } : { kind: 'skipped', reason: result.reason };
  }

  /** How far a chain has got: its pages done (in order), the items they dispatched, and whether it ended. */
  async progress(steps: string): Promise<ChainProgress> {
    return chainProgress(await this.ledger.completed(steps));
  }
}

/** The ledger id of one page step of a chain: the page number, zero-padded so that ids sort by page. */
export const pageStepId = (steps: string, page: number): string => `${steps}${String(page).padStart(9, '0')}`;

const PAGE_FIELDS = new Set(['page', 'items', 'dispatched', 'last', 'cursor', 'next']);

/** Reads the records of one chain's completed page steps back. */
export function chainProgress(records: readonly StepRecord[]): ChainProgress {
  const pages = records
    .map((record): PageRecord => {
      const extra = Object.fromEntries(Object.entries(record).filter(([name]) => !PAGE_FIELDS.has(name)));
      return {
        page: Number(record.page),
        items: Number(record.items ?? 0),
        dispatched: Number(record.dispatched ?? 0),
        last: record.last === true,
        ...(typeof record.cursor === 'string' ? { cursor: record.cursor } : {}),
        ...(typeof record.next === 'string' ? { next: record.next } : {}),
        extra,
      };
    })
    .sort((a, b) => a.page - b.page);
  const lastPage = pages.find((page) => page.last)?.page;
  return {
    pages,
    dispatched: pages.reduce((sum, page) => sum + page.dispatched, 0),
    complete: lastPage !== undefined && pages.length === lastPage + 1,
  };
}
