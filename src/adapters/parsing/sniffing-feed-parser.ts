import { injectable, multiInject } from 'inversify';
import type { FeedBody, FeedParser, FeedSource, ParseResult } from '../../application/ports/feed-parser.port.js';
import { decodeFeedBytes } from './decode.js';
import { JsonFeedSource } from './json-feed-source.js';
import { findFeedAlternate, isHtmlRoot, rootElementOf } from './markup-sniffing.js';
import { XmlFeedSource } from './xml-feed-source.js';
import { FEED_SOURCE } from './tokens.js';

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Decodes a feed body, hands it to the first `FeedSource` that recognizes it, and says why when none does:
 * an HTML page (with the feed it advertises), an empty body, an unknown XML root or JSON that is no JSON Feed
 * are `not_a_feed`; malformed documents are `parse_error`.
 */
@injectable()
export class SniffingFeedParser implements FeedParser {
  constructor(@multiInject(FEED_SOURCE) private readonly sources: readonly FeedSource[]) {}

  parse(body: FeedBody): ParseResult {
    let text: string;
    try {
      text = decodeFeedBytes(body.bytes, body.contentType).replace(/^[\s\uFEFF]+/, '');
    } catch (error) {
      return { ok: false, code: 'parse_error', message: `cannot decode the body: ${messageOf(error)}` };
    }
    if (text === '') return { ok: false, code: 'not_a_feed', message: 'the body is empty' };

    let source: FeedSource | undefined;
    try {
      source = this.sources.find((candidate) => candidate.recognizes(text, body.contentType));
    } catch (error) {
      return { ok: false, code: 'parse_error', message: `cannot tell the format: ${messageOf(error)}` };
    }
    if (source === undefined) return this.unrecognized(text, body.url, body.contentType);
    try {
      return { ok: true, feed: source.parse(text, body.url) };
    } catch (error) {
      return { ok: false, code: 'parse_error', message: `${source.name}: ${messageOf(error)}` };
    }
  }

  private unrecognized(text: string, url: string | undefined, contentType: string | undefined): ParseResult {
    if (text.startsWith('{') || text.startsWith('[')) {
      try {
        JSON.parse(text);
      } catch (error) {
        return { ok: false, code: 'parse_error', message: `invalid JSON: ${messageOf(error)}` };
      }
      return {
        ok: false,
        code: 'not_a_feed',
        message: 'a JSON document that is not a JSON Feed (no jsonfeed.org version)',
      };
    }
    const root = rootElementOf(text);
    if (root.kind === 'truncated') {
      return { ok: false, code: 'parse_error', message: 'the XML document ends before its root element' };
    }
    if (root.kind === 'none') {
      return { ok: false, code: 'not_a_feed', message: 'neither XML nor JSON' };
    }
    if (isHtmlRoot(root) || /\bx?html\b/i.test(contentType ?? '')) {
      const alternate = findFeedAlternate(text, url);
      return alternate === undefined
        ? { ok: false, code: 'not_a_feed', message: 'an HTML page that advertises no feed' }
        : { ok: false, code: 'not_a_feed', message: `an HTML page; it advertises the feed ${alternate}`, alternate };
    }
    return { ok: false, code: 'not_a_feed', message: `an XML document with root <${root.name}>, not RSS, RDF or Atom` };
  }
}

/** The feed parser with every built-in source, for use without the container. */
export function createFeedParser(): FeedParser {
  return new SniffingFeedParser([new JsonFeedSource(), new XmlFeedSource()]);
}
