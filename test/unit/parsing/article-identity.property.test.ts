import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createFeedParser } from '../../../src/adapters/parsing/sniffing-feed-parser.js';
import { toFeedDocument, type FeedDocument } from '../../../src/domain/article.js';

/*
 * The identity rules of the normalized document (`id`), checked through the real parsers: whatever a document
 * holds — items without guids, guids repeated, exact copies — every article of it has its own id, a document
 * read again gives the same ids, and an item added at the top leaves the ids of the others as they were.
 */

interface GeneratedItem {
  readonly guid?: string;
  readonly link?: string;
  readonly title?: string;
  readonly summary?: string;
  readonly published?: string;
}
type Format = 'rss' | 'atom' | 'json';

/** Values from small pools, so that guids, links and whole items repeat often; text that needs escaping too. */
const anyItem: fc.Arbitrary<GeneratedItem> = fc.record(
  {
    guid: fc.constantFrom('g1', 'g2', ' g1 ', 'urn:x#y', 'tag:a&b'),
    link: fc.constantFrom('https://e.example/1', 'https://e.example/2?a=1&b=2'),
    title: fc.constantFrom('A', 'B', 'Fish & <chips>', 'Café'),
    summary: fc.constantFrom('s1', 's2'),
    published: fc.constantFrom('2026-01-01T00:00:00Z', '2026-01-02T08:30:00Z'),
  },
  { requiredKeys: [] },
);
const anyFormat = fc.constantFrom<Format>('rss', 'atom', 'json');
const anyItems = fc.array(anyItem, { maxLength: 12 });

const xml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One feed document in `format` listing `items` in order. */
function render(format: Format, items: readonly GeneratedItem[]): string {
  const element = (name: string, value: string | undefined): string =>
    value === undefined ? '' : `<${name}>${xml(value)}</${name}>`;
  switch (format) {
    case 'rss':
      return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>${items
        .map(
          (item) =>
            `<item>${element('guid', item.guid)}${element('link', item.link)}${element('title', item.title)}${element(
              'description',
              item.summary,
            )}${element('pubDate', item.published && new Date(item.published).toUTCString())}</item>`,
        )
        .join('')}</channel></rss>`;
    case 'atom':
      return `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>${items
        .map(
          (item) =>
            `<entry>${element('id', item.guid)}${
              item.link === undefined ? '' : `<link rel="alternate" href="${xml(item.link)}"/>`
            }${element('title', item.title)}${element('summary', item.summary)}${element('updated', item.published)}</entry>`,
        )
        .join('')}</feed>`;
    case 'json':
      return JSON.stringify({
        version: 'https://jsonfeed.org/version/1.1',
        title: 'F',
        items: items.map((item) => ({
          ...(item.guid === undefined ? {} : { id: item.guid }),
          ...(item.link === undefined ? {} : { url: item.link }),
          ...(item.title === undefined ? {} : { title: item.title }),
          content_text: item.summary ?? '',
          ...(item.published === undefined ? {} : { date_published: item.published }),
        })),
      });
  }
}

const parser = createFeedParser();

/** What `feedrelay parse` prints for the text: the normalized document, articles with their ids. */
function normalize(text: string): FeedDocument {
  const result = parser.parse({ bytes: new TextEncoder().encode(text) });
  if (!result.ok) throw new Error(`the generated document did not parse: ${JSON.stringify(result)}`);
  return toFeedDocument(result.feed);
}

const idsOf = (document: FeedDocument): string[] => document.articles.map((article) => article.id);

describe('the identity of a normalized article', () => {
  it('is distinct for every item of one document, also when guids are missing or repeated', () => {
    fc.assert(
      fc.property(anyFormat, anyItems, (format, items) => {
        // Act
        const document = normalize(render(format, items));

        // Assess
        expect(document.articles).toHaveLength(items.length);
        expect(new Set(idsOf(document)).size).toBe(items.length);
      }),
      { numRuns: 150 },
    );
  });

  it('is the same when the same document is parsed again', () => {
    fc.assert(
      fc.property(anyFormat, anyItems, (format, items) => {
        // Prepare
        const text = render(format, items);

        // Act
        const first = normalize(text);
        const second = normalize(text);

        // Assess
        expect(idsOf(second)).toEqual(idsOf(first));
      }),
      { numRuns: 100 },
    );
  });

  it('stays for every item already listed when a new item appears at the top', () => {
    fc.assert(
      fc.property(anyFormat, anyItems, anyItem, fc.nat(1000), (format, items, newcomer, n) => {
        // Prepare: the newcomer has a guid of its own, as a newly published post does.
        const added = { ...newcomer, guid: `new-${n}` };

        // Act
        const before = normalize(render(format, items));
        const after = normalize(render(format, [added, ...items]));

        // Assess
        expect(idsOf(after).slice(1)).toEqual(idsOf(before));
        expect(idsOf(before)).not.toContain(idsOf(after)[0]);
      }),
      { numRuns: 100 },
    );
  });
});
