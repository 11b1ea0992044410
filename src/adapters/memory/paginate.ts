import type { PagePosition } from '../../domain/cursor.js';
import type { Page } from '../../application/ports/page.js';
import { InvalidCursorError } from '../../domain/errors.js';

/**
 * Decides how many items a page may hold at most, as DynamoDB's 1 MB cap does: by default the limit, but a
 * test can make pages come back short (or empty) to show that callers rely on the cursor, not on page size.
 */
export type PageBudget = (limit: number) => number;

export const fullPages: PageBudget = (limit) => limit;

/** Pages through items kept sorted by key, from an exclusive start key, like a DynamoDB Query or Scan. */
export function paginate<T>(
  sorted: readonly T[],
  keyOf: (item: T) => string,
  after: PagePosition | undefined,
  limit: number,
  budget: PageBudget,
  keyName: string,
): Page<T> {
  let start = 0;
  if (after !== undefined) {
    const afterKey = after[keyName];
    if (typeof afterKey !== 'string') throw new InvalidCursorError(`page position lacks "${keyName}"`);
    start = lowerBound(sorted, (item) => keyOf(item) > afterKey);
  }
  const size = Math.max(0, Math.min(limit, budget(limit)));
  const items = sorted.slice(start, start + size);
  const end = start + size;
  // Like DynamoDB, a page that stops at the limit carries a key even when nothing follows it.
  if (end >= sorted.length && items.length < limit) return { items };
  const lastKey = items.length > 0 ? keyOf(items[items.length - 1]!) : start > 0 ? keyOf(sorted[start - 1]!) : '';
  return { items, next: { [keyName]: lastKey } };
}

function lowerBound<T>(sorted: readonly T[], isAfter: (item: T) => boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAfter(sorted[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A map that keeps its keys sorted for paging. Inserting is O(n); fine for tests and simulations. */
export class SortedMap<T> {
  private readonly byKey = new Map<string, T>();
  private keys: string[] = [];

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  set(key: string, value: T): void {
    if (!this.byKey.has(key)) {
      const at = lowerBound(this.keys, (k) => k > key);
      this.keys.splice(at, 0, key);
    }
    this.byKey.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.byKey.delete(key)) return false;
    this.keys.splice(this.keys.indexOf(key), 1);
    return true;
  }

  values(): T[] {
    return this.keys.map((k) => this.byKey.get(k)!);
  }

  entries(): [string, T][] {
    return this.keys.map((k) => [k, this.byKey.get(k)!]);
  }
}
