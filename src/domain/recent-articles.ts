/**
 * The articles a feed listed lately, as a compact string of fixed-width keys kept on the feed item: what the
 * fetch compares a document against to find what is new, without reading the article table. A key is the
 * first 12 hex digits (48 bits) of the article id; in a set of a few thousand keys a false match is about
 * one in a hundred million.
 *
 * The set keeps every key of the latest document (so an article the feed still lists is never new again,
 * whatever the article table has expired) and as many older ones as fit `capacity`, newest first.
 */
export const RECENT_KEY_LENGTH = 12;

/**
 * At least this many keys are kept, however short the documents: ten documents of a 20-item feed. Stored as
 * binary (6 bytes a key), a full set is 1.2 KB, so the feed item holding it stays within 2 KB and a commit costs
 * 2 write units (256 keys made it 3).
 */
export const MIN_RECENT_CAPACITY = 200;

export const recentKeyOf = (articleId: string): string => articleId.slice(0, RECENT_KEY_LENGTH);

export function parseRecent(packed: string | undefined): Set<string> {
  const keys = new Set<string>();
  if (!packed) return keys;
  for (let at = 0; at + RECENT_KEY_LENGTH <= packed.length; at += RECENT_KEY_LENGTH) {
    keys.add(packed.slice(at, at + RECENT_KEY_LENGTH));
  }
  return keys;
}

/** The ids of `articleIds` whose keys are not in the set. */
export function unseen(packed: string | undefined, articleIds: readonly string[]): string[] {
  const known = parseRecent(packed);
  return articleIds.filter((id) => !known.has(recentKeyOf(id)));
}

/**
 * The set after a document with `articleIds` was read: its keys first, then the older keys it did not
 * list, up to twice the document's size (at least `MIN_RECENT_CAPACITY`).
 */
export function rememberDocument(packed: string | undefined, articleIds: readonly string[]): string {
  const current = [...new Set(articleIds.map(recentKeyOf))];
  const capacity = Math.max(MIN_RECENT_CAPACITY, current.length * 2);
  const kept = new Set(current);
  for (const key of parseRecent(packed)) {
    if (kept.size >= capacity) break;
    kept.add(key);
  }
  return [...kept].join('');
}
