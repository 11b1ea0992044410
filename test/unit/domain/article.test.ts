import fc from 'fast-check';
import { identifyArticles, toFeedDocument, type ParsedItem } from '../../../src/domain/article.js';
import { aDocument, anItem } from '../../support/mothers.js';

const idOf = (items: readonly ParsedItem[], index: number): string => identifyArticles(items)[index]!.id;

/** Items drawn from small pools, so that guids, links and whole items repeat often. */
const anyItem: fc.Arbitrary<ParsedItem> = fc.record(
  {
    guid: fc.constantFrom('g1', 'g2', 'g3', ' g1 ', '', '   ', 'urn:x#y'),
    link: fc.constantFrom('https://e.com/1', 'https://e.com/2', ''),
    title: fc.constantFrom('A', 'B', ''),
    summary: fc.constantFrom('s1', 's2'),
    content: fc.constantFrom('c1', 'c2'),
    published: fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
  },
  { requiredKeys: [] },
);
const anyItems = fc.array(anyItem, { maxLength: 25 });

describe('identifyArticles', () => {
  describe('which identity an item gets', () => {
    it('knows an item by its guid, whatever its other fields say', () => {
      // Prepare
      const before = anItem(1, { guid: 'urn:post:42' });
      const edited = anItem(1, {
        guid: 'urn:post:42',
        title: 'Edited',
        link: 'https://example.com/moved',
        summary: 'new',
      });

      // Act
      const [a] = identifyArticles([before]);
      const [b] = identifyArticles([edited]);

      // Assess
      expect(a!.id).toBe(b!.id);
    });

    it('ignores the whitespace around a guid', () => {
      expect(idOf([anItem(1, { guid: ' urn:post:42\n' })], 0)).toBe(idOf([anItem(2, { guid: 'urn:post:42' })], 0));
    });

    it('falls back to the link when the guid is missing or blank', () => {
      // Prepare
      const noGuid = anItem(1, { guid: undefined, link: 'https://example.com/p/1', title: 'One' });
      const blankGuid = anItem(2, { guid: '  ', link: 'https://example.com/p/1', title: 'Two' });

      // Act / Assess
      expect(idOf([noGuid], 0)).toBe(idOf([blankGuid], 0));
      expect(idOf([noGuid], 0)).not.toBe(idOf([anItem(3, { guid: undefined, link: 'https://example.com/p/2' })], 0));
    });

    it('falls back to a hash of title, content and date when there is neither guid nor link', () => {
      // Prepare
      const bare = { title: 'Hello', content: '<p>Hi</p>', published: '2026-01-01T00:00:00.000Z' };

      // Act
      const same = idOf([{ ...bare }], 0);
      const otherTitle = idOf([{ ...bare, title: 'Hello again' }], 0);
      const otherContent = idOf([{ ...bare, content: '<p>Bye</p>' }], 0);
      const otherDate = idOf([{ ...bare, published: '2026-01-02T00:00:00.000Z' }], 0);

      // Assess
      expect(idOf([bare], 0)).toBe(same);
      expect(new Set([same, otherTitle, otherContent, otherDate]).size).toBe(4);
    });

    it('keeps the item fields next to the id', () => {
      const item = anItem(7);
      expect(identifyArticles([item])[0]).toEqual({ ...item, id: expect.any(String) });
    });
  });

  describe('items that repeat an identity', () => {
    it('keeps two different items that share a guid as two articles', () => {
      // Act
      const articles = identifyArticles([
        anItem(1, { guid: 'urn:same', title: 'First' }),
        anItem(2, { guid: 'urn:same', title: 'Second' }),
      ]);

      // Assess
      expect(articles).toHaveLength(2);
      expect(articles[0]!.id).not.toBe(articles[1]!.id);
    });

    it('gives exact duplicates distinct ids', () => {
      // Act
      const articles = identifyArticles([anItem(1), anItem(1), anItem(1)]);

      // Assess
      expect(new Set(articles.map((a) => a.id)).size).toBe(3);
    });

    it('gives the lowest (oldest) of the items sharing a guid the id it would have alone', () => {
      expect(idOf([anItem(1, { guid: 'urn:same' }), anItem(2, { guid: 'urn:same' })], 1)).toBe(
        idOf([anItem(2, { guid: 'urn:same' })], 0),
      );
    });

    it('keeps the id of a stored item when a newer one reusing its guid appears above it', () => {
      const before = idOf([anItem(2, { guid: 'urn:same' })], 0);
      const after = identifyArticles([anItem(3, { guid: 'urn:same' }), anItem(2, { guid: 'urn:same' })]);
      expect(after[1]!.id).toBe(before);
      expect(after[0]!.id).not.toBe(before);
    });
  });

  describe('stability', () => {
    it('gives the same ids when the same document is read again', () => {
      // Prepare
      const items = [anItem(1), anItem(1), anItem(2, { guid: undefined }), { title: 'bare' }];

      // Act
      const first = identifyArticles(items).map((a) => a.id);
      const again = identifyArticles(items.map((item) => ({ ...item }))).map((a) => a.id);

      // Assess
      expect(again).toEqual(first);
    });

    it('keeps the ids when the other items change their order', () => {
      // Prepare: D and its namesake keep their own order; the others move around them.
      const a = anItem(1);
      const b = anItem(2, { guid: undefined });
      const c = { title: 'no guid, no link' };
      const d1 = anItem(4, { guid: 'urn:dup', title: 'first' });
      const d2 = anItem(5, { guid: 'urn:dup', title: 'second' });
      const idsOf = (items: ParsedItem[]) => new Map(identifyArticles(items).map((x, i) => [items[i], x.id]));

      // Act
      const before = idsOf([a, b, d1, c, d2]);
      const after = idsOf([c, d1, d2, b, a]);

      // Assess
      for (const item of [a, b, c, d1, d2]) expect(after.get(item)).toBe(before.get(item));
    });

    it('keeps the ids of the items already there when a new item appears at the top', () => {
      // Prepare
      const old = [anItem(2), anItem(1)];

      // Act
      const before = identifyArticles(old).map((x) => x.id);
      const after = identifyArticles([anItem(3), ...old]).map((x) => x.id);

      // Assess
      expect(after.slice(1)).toEqual(before);
      expect(before).not.toContain(after[0]);
    });
  });

  describe('for every list of items', () => {
    it('gives every item its own id', () => {
      fc.assert(
        fc.property(anyItems, (items) => {
          const ids = identifyArticles(items).map((a) => a.id);
          expect(new Set(ids).size).toBe(items.length);
        }),
        { numRuns: 300 },
      );
    });

    it('is deterministic', () => {
      fc.assert(
        fc.property(anyItems, (items) => {
          expect(identifyArticles(structuredClone(items))).toEqual(identifyArticles(items));
        }),
      );
    });

    it('keeps the ids of items with unique guids when an unrelated item is added at the top', () => {
      fc.assert(
        fc.property(anyItems, anyItem, fc.string(), (items, newcomer, freshGuid) => {
          // Prepare: the newcomer's guid (if it has one) is one no item of the list has.
          const guids = items.map((i) => i.guid?.trim()).filter((g): g is string => !!g);
          fc.pre(!guids.includes(freshGuid.trim()));
          const added: ParsedItem = { ...newcomer, guid: freshGuid };
          const unique = items
            .map((item, index) => ({ guid: item.guid?.trim(), index }))
            .filter(({ guid }) => !!guid && guids.filter((g) => g === guid).length === 1);

          // Act
          const before = identifyArticles(items);
          const after = identifyArticles([added, ...items]);

          // Assess
          for (const { index } of unique) expect(after[index + 1]!.id).toBe(before[index]!.id);
        }),
        { numRuns: 300 },
      );
    });
  });
});

describe('toFeedDocument', () => {
  it('keeps the feed metadata and identifies the items as articles', () => {
    // Prepare
    const parsed = aDocument([anItem(1), anItem(2)], 'My feed');

    // Act
    const document = toFeedDocument(parsed);

    // Assess
    expect(document.feed).toEqual(parsed.feed);
    expect(document.articles.map((a) => a.id)).toEqual(identifyArticles(parsed.items).map((a) => a.id));
  });
});
