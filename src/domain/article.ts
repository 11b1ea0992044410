import { digest } from './hash.js';
import type { PublisherSchedule } from './schedule.js';

export interface Author {
  readonly name?: string;
  readonly email?: string;
}

export interface Enclosure {
  readonly url: string;
  readonly type?: string;
  readonly length?: string;
}

/** One item of a feed document as a source adapter normalizes it, before it has an identity. */
export interface ParsedItem {
  readonly guid?: string;
  readonly title?: string;
  readonly link?: string;
  /** ISO-8601 UTC. */
  readonly published?: string;
  readonly updated?: string;
  readonly summary?: string;
  readonly content?: string;
  readonly authors?: readonly Author[];
  readonly categories?: readonly string[];
  readonly enclosures?: readonly Enclosure[];
}

export interface FeedMetadata {
  readonly title?: string;
  readonly link?: string;
  readonly description?: string;
  readonly language?: string;
  readonly updated?: string;
}

/** A whole feed document, normalized: what every source adapter produces, whatever the format. */
export interface ParsedFeed {
  readonly feed: FeedMetadata;
  readonly items: readonly ParsedItem[];
  /** What the document says about its own schedule (RSS `ttl`, `skipHours`, `skipDays`); absent: nothing. */
  readonly schedule?: PublisherSchedule;
}

/** An item with its stable identity. */
export interface Article extends ParsedItem {
  readonly id: string;
}

/** The normalized feed document of the contract: feed metadata and identified articles. */
export interface FeedDocument {
  readonly feed: FeedMetadata;
  readonly articles: readonly Article[];
}

/** An article as stored: which feed it belongs to and when (and in which run) it was first seen. */
export interface StoredArticle extends Article {
  readonly feedId: string;
  readonly firstSeenAt: string;
  readonly firstSeenRunId: string;
}

function fingerprint(item: ParsedItem): string {
  return digest(
    ['fp', item.title ?? '', item.link ?? '', item.content ?? item.summary ?? '', item.published ?? ''],
    16,
  );
}

/**
 * The identity rules: an item is known by its guid; else by its link; else by a hash of its title, content
 * and date. An identity key that repeats inside one document is told apart by the item's fingerprint, and
 * exact copies by their order, so that two items sharing a guid stay two articles and ids stay stable
 * across fetches of an unchanged document.
 */
export function identifyArticles(items: readonly ParsedItem[]): Article[] {
  const keyOf = (item: ParsedItem): string => {
    if (item.guid?.trim()) return `guid:${item.guid.trim()}`;
    if (item.link?.trim()) return `link:${item.link.trim()}`;
    return `hash:${digest([item.title ?? '', item.content ?? item.summary ?? '', item.published ?? ''])}`;
  };
  const keys = items.map(keyOf);
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);

  const seen = new Map<string, number>();
  return items.map((item, index) => {
    let key = keys[index]!;
    if (counts.get(key)! > 1) {
      // Feeds add items at the top: the lowest occurrence is the oldest and keeps the plain identity.
      const last = keys.lastIndexOf(key) === index;
      if (!last) key = `${key}#${fingerprint(item)}`;
    }
    const ordinal = seen.get(key) ?? 0;
    seen.set(key, ordinal + 1);
    const id = digest(ordinal === 0 ? ['article', key] : ['article', key, String(ordinal)]);
    return { id, ...item };
  });
}

export function toFeedDocument(parsed: ParsedFeed): FeedDocument {
  return { feed: parsed.feed, articles: identifyArticles(parsed.items) };
}
