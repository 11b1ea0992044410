import { decodeCursor, encodeCursor, type PagePosition } from '../../src/domain/cursor.js';
import type { Page } from '../../src/application/ports/page.js';

/**
 * Follows a scan from its start to the page without `next`, taking page sizes from `limits` in turn.
 * Each position makes the round trip through a cursor token, as it does between relay steps.
 * Fails (instead of looping forever) when the scan takes far more pages than its items could need.
 */
export async function readAllPages<T>(
  read: (after: PagePosition | undefined, limit: number) => Promise<Page<T>>,
  limits: readonly number[],
  expectedItems: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  const maxPages = 10 * (expectedItems + 2);
  let after: PagePosition | undefined;
  for (let pages = 1; pages <= maxPages; pages++) {
    const limit = limits[(pages - 1) % limits.length]!;
    const page = await read(after, limit);
    if (page.items.length > limit) throw new Error(`a page of limit ${limit} held ${page.items.length} items`);
    items.push(...page.items);
    if (page.next === undefined) return { items, pages };
    after = decodeCursor(encodeCursor({ scope: 'contract', position: page.next }), 'contract').position;
  }
  throw new Error(`the scan did not end within ${maxPages} pages`);
}
