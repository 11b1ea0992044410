import type { Author, Enclosure } from '../../domain/article.js';

/** Trimmed text, or undefined when there is none. */
export function clean(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text === '' ? undefined : text;
}

/** The first argument that is present. */
export function firstOf<T>(...values: readonly (T | undefined)[]): T | undefined {
  return values.find((value) => value !== undefined);
}

/** Trimmed, non-empty, each once, in first-seen order; undefined when none is left. */
export function uniqueStrings(values: Iterable<string | undefined>): string[] | undefined {
  const seen = new Set<string>();
  for (const value of values) {
    const text = clean(value);
    if (text !== undefined) seen.add(text);
  }
  return seen.size > 0 ? [...seen] : undefined;
}

/** Authors with a name or an email, each once; undefined when none is left. */
export function uniqueAuthors(authors: Iterable<Author | undefined>): Author[] | undefined {
  const result = new Map<string, Author>();
  for (const author of authors) {
    if (!author) continue;
    const name = clean(author.name);
    const email = clean(author.email);
    if (name === undefined && email === undefined) continue;
    const key = `${name ?? ''}\u0000${email ?? ''}`;
    if (!result.has(key)) result.set(key, withoutEmpty({ name, email }));
  }
  return result.size > 0 ? [...result.values()] : undefined;
}

/** Enclosures with a URL, each URL once; undefined when none is left. */
export function uniqueEnclosures(enclosures: Iterable<Enclosure | undefined>): Enclosure[] | undefined {
  const result = new Map<string, Enclosure>();
  for (const enclosure of enclosures) {
    const url = clean(enclosure?.url);
    if (!enclosure || url === undefined || result.has(url)) continue;
    result.set(url, withoutEmpty({ url, type: clean(enclosure.type), length: clean(enclosure.length) }));
  }
  return result.size > 0 ? [...result.values()] : undefined;
}

const EMAIL = /^(?:mailto:)?([^\s@<>()"]+@[^\s@<>()"]+)$/i;

/**
 * Reads a person as feeds write one: `email (Name)`, `Name (email)`, `Name <email>`, a bare email or a bare
 * name.
 */
export function parsePerson(raw: string | undefined): Author | undefined {
  const text = clean(raw);
  if (text === undefined) return undefined;
  const unquote = (name: string | undefined): string | undefined => clean(name?.trim().replace(/^"(.*)"$/, '$1'));
  let match = text.match(/^(?:mailto:)?([^\s@<>()"]+@[^\s@<>()"]+)\s*\((.*)\)$/i);
  if (match) return withoutEmpty({ name: unquote(match[2]), email: match[1] });
  match = text.match(/^(.*?)\s*\((?:mailto:)?([^\s@<>()"]+@[^\s@<>()"]+)\)$/i);
  if (match) return withoutEmpty({ name: unquote(match[1]), email: match[2] });
  match = text.match(/^(.*?)\s*<(?:mailto:)?([^\s@<>()"]+@[^\s@<>()"]+)>$/i);
  if (match) return withoutEmpty({ name: unquote(match[1]), email: match[2] });
  match = text.match(EMAIL);
  if (match) return { email: match[1]! };
  return { name: unquote(text) ?? text };
}

/** The email inside a `mailto:` URL, if it is one. */
export function emailOfMailto(url: string | undefined): string | undefined {
  const match = clean(url)?.match(/^mailto:([^?\s]+)/i);
  return match ? decodeURIComponentSafe(match[1]!) : undefined;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * A link resolved against a base (xml:base or the document URL). Absolute links are kept as written; a
 * relative link without a usable base stays relative.
 */
export function resolveLink(href: string | undefined, base: string | undefined): string | undefined {
  const link = clean(href);
  if (link === undefined) return undefined;
  if (ABSOLUTE.test(link) || base === undefined) return link;
  try {
    return new URL(link, base).href;
  } catch {
    return link;
  }
}

/** A base URL for what is nested inside: `xmlBase` resolved against the outer base. */
export function nestedBase(outer: string | undefined, xmlBase: string | undefined): string | undefined {
  const base = clean(xmlBase);
  if (base === undefined) return outer;
  if (ABSOLUTE.test(base)) return base;
  if (outer === undefined) return undefined;
  try {
    return new URL(base, outer).href;
  } catch {
    return outer;
  }
}

/** A copy without undefined values and empty arrays, so that absent values are omitted. */
export function withoutEmpty<T extends object>(value: T): T {
  const result: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry === undefined || entry === null) continue;
    if (Array.isArray(entry) && entry.length === 0) continue;
    result[key] = entry;
  }
  return result as T;
}
