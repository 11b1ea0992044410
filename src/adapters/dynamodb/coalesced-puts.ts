import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, type Item } from './requests.js';

/** BatchWriteItem's most items per request. */
const MAX_ITEMS = 25;

/** How long a put waits for others to share its request, by default: short beside one fetch or delivery. */
export const DEFAULT_COALESCE_WINDOW_MS = 10;

interface Waiting {
  item: Item;
  readonly settle: { resolve(): void; reject(error: unknown): void }[];
}

/**
 * Unconditional single-item puts to one table, coalesced: the puts made within `windowMs` of the first (25 at
 * most) go out as one BatchWriteItem, and each caller's promise settles with the outcome of its own item. The
 * many feeds of one fetch message each store their discovery this way, in one request instead of one each.
 *
 * Two puts of the same key before the request leaves become one (the later item wins), since a BatchWriteItem
 * may not name a key twice; both callers are told when it is written. Unprocessed items are retried with the
 * batch (`batchWriteAll`); a batch that fails fails each of its callers.
 */
export class CoalescedPuts {
  private waiting = new Map<string, Waiting>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly keyOf: (item: Item) => string,
    private readonly windowMs: number = DEFAULT_COALESCE_WINDOW_MS,
  ) {}

  /** Puts the item; resolves once it is written (with others, or alone when none came within the window). */
  put(item: Item): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const key = this.keyOf(item);
      const same = this.waiting.get(key);
      if (same !== undefined) {
        same.item = item;
        same.settle.push({ resolve, reject });
        return;
      }
      this.waiting.set(key, { item, settle: [{ resolve, reject }] });
      if (this.waiting.size >= MAX_ITEMS) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.waiting.values()];
    this.waiting = new Map();
    batchWriteAll(
      this.doc,
      this.tableName,
      batch.map((waiting) => waiting.item),
    ).then(
      () => batch.forEach(({ settle }) => settle.forEach(({ resolve }) => resolve())),
      (error: unknown) => batch.forEach(({ settle }) => settle.forEach(({ reject }) => reject(error))),
    );
  }
}
