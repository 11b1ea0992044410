import { injectable } from 'inversify';
import type { FeedSource } from '../../application/ports/feed-parser.port.js';
import type { Author, Enclosure, FeedMetadata, ParsedFeed, ParsedItem } from '../../domain/article.js';
import { toIsoDate } from './dates.js';
import {
  clean,
  emailOfMailto,
  firstOf,
  nestedBase,
  resolveLink,
  uniqueAuthors,
  uniqueEnclosures,
  uniqueStrings,
  withoutEmpty,
} from './normalize.js';

type JsonObject = { readonly [key: string]: unknown };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const VERSION = /^(?:https?:\/\/(?:www\.)?jsonfeed\.org\/version\/)?1(?:\.\d+)?\/?$/i;

/** Whether a parsed JSON value is a JSON Feed 1.x document (by its `version`). */
function isJsonFeed(value: unknown): value is JsonObject {
  return isObject(value) && typeof value['version'] === 'string' && VERSION.test(value['version'].trim());
}

function person(value: unknown): Author | undefined {
  if (!isObject(value)) return undefined;
  const email = emailOfMailto(clean(value['url']));
  return withoutEmpty({ name: clean(value['name']), email });
}

function authorsOf(record: JsonObject): Author[] | undefined {
  const list = Array.isArray(record['authors']) ? record['authors'] : [record['author']];
  return uniqueAuthors(list.map(person));
}

function attachment(value: unknown, base: string | undefined): Enclosure | undefined {
  if (!isObject(value)) return undefined;
  const url = resolveLink(clean(value['url']), base);
  return url === undefined
    ? undefined
    : { url, type: clean(value['mime_type']), length: clean(value['size_in_bytes']) };
}

function item(value: unknown, base: string | undefined, feedAuthors: Author[] | undefined): ParsedItem | undefined {
  if (!isObject(value)) return undefined;
  const tags = Array.isArray(value['tags']) ? value['tags'] : [];
  const attachments = Array.isArray(value['attachments']) ? value['attachments'] : [];
  return withoutEmpty<ParsedItem>({
    guid: clean(value['id']),
    title: clean(value['title']),
    link: resolveLink(firstOf(clean(value['url']), clean(value['external_url'])), base),
    published: toIsoDate(clean(value['date_published'])),
    updated: toIsoDate(clean(value['date_modified'])),
    summary: clean(value['summary']),
    content: firstOf(clean(value['content_html']), clean(value['content_text'])),
    authors: authorsOf(value) ?? feedAuthors,
    categories: uniqueStrings(tags.filter((tag): tag is string => typeof tag === 'string')),
    enclosures: uniqueEnclosures(attachments.map((entry) => attachment(entry, base))),
  });
}

/** The newest date among the items: JSON Feed has no feed-level date. */
function newest(items: readonly ParsedItem[]): string | undefined {
  const dates = items
    .map((entry) => entry.updated ?? entry.published)
    .filter((date): date is string => date !== undefined);
  return dates.length === 0 ? undefined : dates.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));
}

/**
 * Reads JSON Feed 1.0 and 1.1 (`author` and `authors`, HTML or text content, tags, attachments). Item authors
 * default to the feed's, as the specification says; the feed's `updated` is its newest item's date.
 */
@injectable()
export class JsonFeedSource implements FeedSource {
  readonly name = 'json-feed';
  private last: { readonly text: string; readonly value: unknown } | undefined;

  recognizes(text: string): boolean {
    if (!text.trimStart().startsWith('{')) return false;
    try {
      if (isJsonFeed(this.read(text))) return true;
    } catch {
      // Not JSON at all: not ours to recognize.
    }
    this.last = undefined;
    return false;
  }

  parse(text: string, baseUrl?: string): ParsedFeed {
    let document: unknown;
    try {
      document = this.read(text);
    } catch (error) {
      throw new Error(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      this.last = undefined;
    }
    if (!isJsonFeed(document)) throw new Error('not a JSON Feed: no jsonfeed.org version 1.x');
    if (document['items'] !== undefined && !Array.isArray(document['items'])) {
      throw new Error('invalid JSON Feed: "items" is not an array');
    }
    const base = nestedBase(baseUrl, clean(document['feed_url']));
    const authors = authorsOf(document);
    const items = ((document['items'] as unknown[] | undefined) ?? [])
      .map((entry) => item(entry, base, authors))
      .filter((entry): entry is ParsedItem => entry !== undefined);
    const feed = withoutEmpty<FeedMetadata>({
      title: clean(document['title']),
      link: resolveLink(clean(document['home_page_url']), base),
      description: clean(document['description']),
      language: clean(document['language']),
      updated: newest(items),
    });
    return { feed, items };
  }

  /** Parses JSON once for `recognizes` and the `parse` that follows it. */
  private read(text: string): unknown {
    if (this.last?.text === text) return this.last.value;
    this.last = undefined;
    const value = JSON.parse(text) as unknown;
    this.last = { text, value };
    return value;
  }
}
