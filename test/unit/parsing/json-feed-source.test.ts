import { describe, expect, it } from '@jest/globals';
import { JsonFeedSource } from '../../../src/adapters/parsing/json-feed-source.js';

const source = new JsonFeedSource();

describe('JsonFeedSource', () => {
  it('recognizes JSON Feed 1.0 and 1.1 by their version, and nothing else', () => {
    // Prepare
    const documents = [
      '{"version":"https://jsonfeed.org/version/1","items":[]}',
      '  {"version":"https://jsonfeed.org/version/1.1","items":[]}',
      '{"version":"1.0","items":[]}',
      '{"version":"https://example.org/version/1","items":[]}',
      '{"items":[]}',
      '["https://jsonfeed.org/version/1"]',
      '{"version": "https://jsonfeed.org/version/1"',
      '<rss version="2.0"/>',
    ];

    // Act
    const recognized = documents.map((text) => source.recognizes(text));

    // Assess
    expect(recognized).toEqual([true, true, true, false, false, false, false, false]);
  });

  it('normalizes a JSON Feed 1.1 document', () => {
    // Prepare
    const text = JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: ' My Feed ',
      home_page_url: 'https://example.org/',
      feed_url: 'https://example.org/feed.json',
      description: 'About',
      language: 'en-GB',
      authors: [{ name: 'Feed Author', url: 'mailto:feed@example.org' }],
      items: [
        {
          id: 'a1',
          url: '/posts/1',
          title: 'One',
          content_html: '<p>One</p>',
          content_text: 'One',
          summary: 'First',
          date_published: '2021-01-01T10:00:00+01:00',
          date_modified: '2021-01-02T00:00:00Z',
          tags: ['x', ' y ', 'x', ''],
          attachments: [
            { url: 'https://cdn.example.org/1.mp3', mime_type: 'audio/mpeg', size_in_bytes: 4096 },
            { title: 'no url' },
          ],
          authors: [{ name: 'Item Author' }],
        },
        { id: 2, external_url: 'https://elsewhere.example/2', content_text: 'Two' },
        'not an item',
      ],
    });

    // Act
    const parsed = source.parse(text, 'https://example.org/feed.json');

    // Assess
    expect(parsed).toEqual({
      feed: {
        title: 'My Feed',
        link: 'https://example.org/',
        description: 'About',
        language: 'en-GB',
        updated: '2021-01-02T00:00:00.000Z',
      },
      items: [
        {
          guid: 'a1',
          title: 'One',
          link: 'https://example.org/posts/1',
          published: '2021-01-01T09:00:00.000Z',
          updated: '2021-01-02T00:00:00.000Z',
          summary: 'First',
          content: '<p>One</p>',
          authors: [{ name: 'Item Author' }],
          categories: ['x', 'y'],
          enclosures: [{ url: 'https://cdn.example.org/1.mp3', type: 'audio/mpeg', length: '4096' }],
        },
        {
          guid: '2',
          link: 'https://elsewhere.example/2',
          content: 'Two',
          authors: [{ name: 'Feed Author', email: 'feed@example.org' }],
        },
      ],
    });
  });

  it('reads the single author of JSON Feed 1.0', () => {
    // Prepare
    const text = JSON.stringify({
      version: 'https://jsonfeed.org/version/1',
      author: { name: 'Solo' },
      items: [
        { id: '1', content_text: 'x', author: { name: 'Guest', url: 'https://guest.example' } },
        { id: '2', content_text: 'y' },
      ],
    });

    // Act
    const parsed = source.parse(text);

    // Assess
    expect(parsed.items.map((item) => item.authors)).toEqual([[{ name: 'Guest' }], [{ name: 'Solo' }]]);
  });

  it('leaves a date it cannot read empty and keeps the item', () => {
    // Prepare
    const text = JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      items: [{ id: '1', date_published: 'soon', date_modified: 42 }],
    });

    // Act
    const parsed = source.parse(text);

    // Assess
    expect(parsed).toEqual({ feed: {}, items: [{ guid: '1' }] });
  });

  it('throws on invalid JSON and on items that are not a list', () => {
    // Act
    const invalid = (): unknown => source.parse('{"version": "https://jsonfeed.org/version/1",');
    const notList = (): unknown => source.parse('{"version": "https://jsonfeed.org/version/1", "items": {}}');

    // Assess
    expect(invalid).toThrow(/^invalid JSON/);
    expect(notList).toThrow('"items" is not an array');
  });

  it('ignores keys named __proto__ and constructor', () => {
    // Prepare
    const text =
      '{"version":"https://jsonfeed.org/version/1.1","__proto__":{"polluted":"yes"},"items":[{"id":"1","constructor":{"prototype":{"polluted":"yes"}},"__proto__":{"title":"x"}}]}';

    // Act
    const parsed = source.parse(text);

    // Assess
    expect(parsed.items).toEqual([{ guid: '1' }]);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
