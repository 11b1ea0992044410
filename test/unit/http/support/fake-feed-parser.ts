import type { FeedBody, FeedParser, ParseResult } from '../../../../src/application/ports/feed-parser.port.js';

/**
 * A test-only `FeedParser`: `<rss…` is a feed with one item per `<item>`, `<html…` is a page (advertising the
 * href of its `<link rel="alternate">`, if any), anything else a parse error. It remembers what it was given.
 */
export class FakeFeedParser implements FeedParser {
  readonly seen: FeedBody[] = [];

  parse(body: FeedBody): ParseResult {
    this.seen.push(body);
    const text = Buffer.from(body.bytes).toString('utf8').trimStart();
    if (text.startsWith('<rss')) {
      const items = [...text.matchAll(/<item>\s*<title>([^<]*)<\/title>/g)].map((match) => ({ title: match[1]! }));
      const title = /<channel>\s*<title>([^<]*)<\/title>/.exec(text)?.[1];
      return { ok: true, feed: { feed: title === undefined ? {} : { title }, items } };
    }
    if (/^<(!doctype )?html/i.test(text)) {
      const alternate = /<link rel="alternate" type="application\/rss\+xml" href="([^"]+)"/.exec(text)?.[1];
      return {
        ok: false,
        code: 'not_a_feed',
        message: 'an HTML page',
        ...(alternate === undefined ? {} : { alternate }),
      };
    }
    return { ok: false, code: 'parse_error', message: 'not RSS' };
  }
}

export function rss(title: string, ...items: string[]): string {
  return `<rss version="2.0"><channel><title>${title}</title>${items
    .map((item) => `<item><title>${item}</title></item>`)
    .join('')}</channel></rss>`;
}
