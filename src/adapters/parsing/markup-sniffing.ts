/** What precedes a document's root element, and that element's name. */
export type RootElement =
  | { readonly kind: 'element'; readonly name: string; readonly doctype?: string }
  | { readonly kind: 'truncated' }
  | { readonly kind: 'none' };

/**
 * Finds the name of the root element of an XML (or HTML) text, skipping the XML declaration, processing
 * instructions, comments and a DOCTYPE with its internal subset.
 */
export function rootElementOf(text: string): RootElement {
  let position = 0;
  let doctype: string | undefined;
  const length = text.length;
  while (position < length) {
    while (position < length && /[\s\uFEFF]/.test(text[position]!)) position += 1;
    if (position >= length) return { kind: 'truncated' };
    if (text[position] !== '<') return { kind: 'none' };
    if (text.startsWith('<?', position)) {
      const end = text.indexOf('?>', position + 2);
      if (end < 0) return { kind: 'truncated' };
      position = end + 2;
    } else if (text.startsWith('<!--', position)) {
      const end = text.indexOf('-->', position + 4);
      if (end < 0) return { kind: 'truncated' };
      position = end + 3;
    } else if (/^<!doctype/i.test(text.slice(position, position + 9))) {
      const end = endOfDoctype(text, position + 9);
      if (end < 0) return { kind: 'truncated' };
      doctype = text
        .slice(position + 9, end)
        .trim()
        .split(/[\s[>]/)[0];
      position = end + 1;
    } else {
      const name = text.slice(position + 1).match(/^[A-Za-z_:][\w:.-]*/)?.[0];
      if (name === undefined) return { kind: 'none' };
      return doctype === undefined ? { kind: 'element', name } : { kind: 'element', name, doctype };
    }
  }
  return { kind: 'truncated' };
}

function endOfDoctype(text: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let index = from; index < text.length; index += 1) {
    const char = text[index]!;
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '[') {
      depth += 1;
    } else if (char === ']') {
      depth -= 1;
    } else if (char === '>' && depth <= 0) {
      return index;
    }
  }
  return -1;
}

/** Whether a root element is an HTML page rather than a feed. */
export function isHtmlRoot(root: RootElement): boolean {
  if (root.kind !== 'element') return false;
  return (
    root.doctype?.toLowerCase() === 'html' ||
    /^(html|head|body|meta|link|title|script|style|div|p|a|table)$/i.test(root.name)
  );
}

const FEED_TYPES = new Set([
  'application/rss+xml',
  'application/atom+xml',
  'application/feed+json',
  'application/rdf+xml',
]);

const HTML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeAttribute(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return HTML_ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function attributesOf(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of tag.matchAll(/([^\s=/<>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g)) {
    attributes.set(match[1]!.toLowerCase(), decodeAttribute(match[2] ?? match[3] ?? match[4] ?? ''));
  }
  return attributes;
}

/**
 * The feed an HTML page advertises with `<link rel="alternate" type="application/rss+xml|atom+xml|feed+json">`,
 * resolved against the page's `<base href>` or URL.
 */
export function findFeedAlternate(html: string, pageUrl: string | undefined): string | undefined {
  const head = html.slice(0, 512 * 1024).replace(/<!--[\s\S]*?-->/g, '');
  let base = pageUrl;
  const baseTag = head.match(/<base\s[^>]*>/i)?.[0];
  const baseHref = baseTag ? attributesOf(baseTag).get('href') : undefined;
  if (baseHref) base = resolveAgainst(baseHref, pageUrl) ?? base;
  for (const match of head.matchAll(/<link\s[^>]*>/gi)) {
    const attributes = attributesOf(match[0]);
    const rel = (attributes.get('rel') ?? '').toLowerCase().split(/\s+/);
    const type = (attributes.get('type') ?? '').toLowerCase().split(';')[0]!.trim();
    const href = attributes.get('href')?.trim();
    if (!rel.includes('alternate') || !FEED_TYPES.has(type) || !href) continue;
    return resolveAgainst(href, base) ?? href;
  }
  return undefined;
}

function resolveAgainst(href: string, base: string | undefined): string | undefined {
  try {
    return base === undefined ? new URL(href).href : new URL(href, base).href;
  } catch {
    return undefined;
  }
}
