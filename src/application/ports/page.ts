import type { PagePosition } from '../../domain/cursor.js';

/** One page of a scan. `next` is absent on the last page; a page may come back short (or empty) before it. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next?: PagePosition;
}
