import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Container } from 'inversify';
import type { FeedSource } from '../../../src/application/ports/feed-parser.port.js';
import { JsonFeedSource } from '../../../src/adapters/parsing/json-feed-source.js';
import { XmlFeedSource } from '../../../src/adapters/parsing/xml-feed-source.js';
import { SniffingFeedParser, createFeedParser } from '../../../src/adapters/parsing/sniffing-feed-parser.js';
import { FEED_SOURCE } from '../../../src/adapters/parsing/tokens.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const universal = path.resolve(repoRoot, 'test', 'fixtures', 'corpus', 'gofeed', 'parser', 'universal');
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const parser = createFeedParser();

describe('SniffingFeedParser', () => {
  it('parses a feed with the first source that recognizes it', () => {
    // Prepare
    const body = {
      bytes: bytes('<rss version="2.0"><channel><title>T</title><item><title>I</title></item></channel></rss>'),
    };

    // Act
    const result = parser.parse(body);

    // Assess
    expect(result).toEqual({ ok: true, feed: { feed: { title: 'T' }, items: [{ title: 'I' }] } });
  });

  it('says an HTML page is not a feed, and names the feed it advertises, resolved against the page URL', () => {
    // Prepare
    const html = `<!DOCTYPE html><html><head><title>Blog</title>
      <link rel="stylesheet" href="/style.css">
      <link rel="alternate" type="application/atom+xml" title="Feed" href="/feed.atom?a=1&amp;b=2">
      </head><body>Hello</body></html>`;

    // Act
    const result = parser.parse({ bytes: bytes(html), url: 'https://blog.example/posts/', contentType: 'text/html' });

    // Assess
    expect(result).toMatchObject({
      ok: false,
      code: 'not_a_feed',
      alternate: 'https://blog.example/feed.atom?a=1&b=2',
    });
  });

  it.each([
    [
      '<html><head><link href="feed.json" type="application/feed+json" rel="alternate"></head></html>',
      'https://x.example/a/feed.json',
    ],
    [
      "<HTML><HEAD><LINK REL='alternate home' TYPE='application/rss+xml' HREF='https://y.example/rss'></HEAD></HTML>",
      'https://y.example/rss',
    ],
    [
      '<head><base href="https://z.example/base/"><link rel="alternate" type="application/rss+xml" href="rss.xml"></head>',
      'https://z.example/base/rss.xml',
    ],
  ])('finds the alternate of %j', (html, alternate) => {
    // Act
    const result = parser.parse({ bytes: bytes(html), url: 'https://x.example/a/page' });

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'not_a_feed', alternate });
  });

  it('treats a fragment served as text/html as an HTML page', () => {
    // Act
    const result = parser.parse({
      bytes: bytes('<meta charset="utf-8"><link rel="alternate" type="application/rss+xml" href="/rss">'),
      contentType: 'text/html; charset=utf-8',
      url: 'https://w.example/page',
    });

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'not_a_feed', alternate: 'https://w.example/rss' });
  });

  it('says an HTML page without an advertised feed is not a feed', () => {
    // Act
    const result = parser.parse({ bytes: bytes('<!doctype html><html><body><p>No feed</p></body></html>') });

    // Assess
    expect(result).toEqual({ ok: false, code: 'not_a_feed', message: 'an HTML page that advertises no feed' });
  });

  it.each(['', '   \n\t ', '\uFEFF'])('says the empty body %j is not a feed', (text) => {
    // Act
    const result = parser.parse({ bytes: bytes(text) });

    // Assess
    expect(result).toEqual({ ok: false, code: 'not_a_feed', message: 'the body is empty' });
  });

  it('reports truncated XML as a parse error', () => {
    // Act
    const truncatedFeed = parser.parse({
      bytes: bytes('<?xml version="1.0"?><rss version="2.0"><channel><title>Cut off'),
    });
    const truncatedProlog = parser.parse({ bytes: bytes('<?xml version="1.0"?><!-- a comment that never') });

    // Assess
    expect(truncatedFeed).toMatchObject({
      ok: false,
      code: 'parse_error',
      message: expect.stringMatching(/Unclosed root tag/),
    });
    expect(truncatedProlog).toMatchObject({ ok: false, code: 'parse_error' });
  });

  it('says XML with an unknown root, JSON that is no JSON Feed and plain text are not feeds', () => {
    // Act
    const results = ['<note><to>Tove</to></note>', '{"hello":"world"}', '[1,2]', 'just text'].map((text) =>
      parser.parse({ bytes: bytes(text) }),
    );

    // Assess
    expect(results.map((result) => !result.ok && result.code)).toEqual([
      'not_a_feed',
      'not_a_feed',
      'not_a_feed',
      'not_a_feed',
    ]);
    expect(results[0]).toMatchObject({ message: expect.stringContaining('<note>') });
  });

  it('reports invalid JSON as a parse error', () => {
    // Act
    const result = parser.parse({ bytes: bytes('{ "version": "https://jsonfeed.org/version/1", "items": [ ') });

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'parse_error', message: expect.stringMatching(/^invalid JSON/) });
  });

  it('turns an exception of a source into a parse error naming the source', () => {
    // Prepare
    const failing: FeedSource = {
      name: 'broken',
      recognizes: () => true,
      parse: () => {
        throw new Error('cannot cope');
      },
    };

    // Act
    const result = new SniffingFeedParser([failing]).parse({ bytes: bytes('<rss/>') });

    // Assess
    expect(result).toEqual({ ok: false, code: 'parse_error', message: 'broken: cannot cope' });
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ maxLength: 300 }).map((text) => bytes(`<rss version="2.0"><channel>${text}`)),
          fc
            .string({ maxLength: 300 })
            .map((text) => bytes(`<feed xmlns="http://www.w3.org/2005/Atom">${text}</feed>`)),
          fc.string({ maxLength: 300 }).map((text) => bytes(`{"version":"https://jsonfeed.org/version/1",${text}`)),
        ),
        fc.option(fc.constantFrom('text/xml; charset=utf-16', 'text/html', 'application/json; charset=bogus'), {
          nil: undefined,
        }),
        (body, contentType) => {
          // Act
          const result = parser.parse({ bytes: body, contentType });

          // Assess
          expect(typeof result.ok).toBe('boolean');
        },
      ),
    );
  });

  it('resolves from an inversify container with every bound source', () => {
    // Prepare
    const container = new Container();
    container.bind(FEED_SOURCE).to(JsonFeedSource);
    container.bind(FEED_SOURCE).to(XmlFeedSource);
    container.bind(SniffingFeedParser).toSelf();

    // Act
    const resolved = container.get(SniffingFeedParser);
    const json = resolved.parse({
      bytes: bytes('{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[]}'),
    });
    const rss = resolved.parse({ bytes: bytes('<rss version="2.0"><channel><title>R</title></channel></rss>') });

    // Assess
    expect(json).toEqual({ ok: true, feed: { feed: { title: 'J' }, items: [] } });
    expect(rss).toEqual({ ok: true, feed: { feed: { title: 'R' }, items: [] } });
  });

  describe('on gofeed universal parser cases', () => {
    const parse = (file: string) => parser.parse({ bytes: readFileSync(path.join(universal, file)) });

    it.each([
      'atom03_feed.xml',
      'atom10_feed.xml',
      'rdf_feed.xml',
      'rss_feed.xml',
      'rss_feed_bom.xml',
      'rss_feed_leading_spaces.xml',
    ])('reads the feed title of %s', (file) => {
      // Act
      const result = parse(file);

      // Assess
      expect(result).toEqual({ ok: true, feed: { feed: { title: 'Feed Title' }, items: [] } });
    });

    it.each(['json10_feed.json', 'json11_feed.json', 'sample.json'])('reads the JSON Feed %s', (file) => {
      // Act
      const result = parse(file);

      // Assess
      expect(result).toMatchObject({
        ok: true,
        feed: { feed: { title: 'title', link: 'https://sample-json-feed.com' } },
      });
    });

    it('says an unknown XML format and an empty file are not feeds, and invalid JSON is a parse error', () => {
      // Act
      const unknown = parse('unknown_feed.xml');
      const empty = parse('empty_feed.xml');
      const invalid = parse('invalid.json');

      // Assess
      expect(unknown).toMatchObject({ ok: false, code: 'not_a_feed' });
      expect(empty).toMatchObject({ ok: false, code: 'not_a_feed' });
      expect(invalid).toMatchObject({ ok: false, code: 'parse_error' });
    });
  });
});
