import type { ParsedFeed } from '../../domain/article.js';

/** A raw feed body as it came off the wire (or from a file), before decoding. */
export interface FeedBody {
  readonly bytes: Uint8Array;
  /** The HTTP Content-Type header, whose charset wins over the document's own declarations. */
  readonly contentType?: string;
  /** The document's URL, against which relative links resolve. */
  readonly url?: string;
}

export type ParseResult =
  | { readonly ok: true; readonly feed: ParsedFeed }
  | {
      readonly ok: false;
      readonly code: 'not_a_feed' | 'parse_error';
      readonly message: string;
      /** For an HTML page: the feed it advertises with `<link rel="alternate">`, if any. */
      readonly alternate?: string;
    };

/** Turns a feed document of any supported format into the normalized `ParsedFeed`. Never throws. */
export interface FeedParser {
  parse(body: FeedBody): ParseResult;
}

/**
 * One feed format (RSS/Atom, JSON Feed, …). A new format is one `FeedSource` and one
 * binding; the parser asks each source in turn whether it recognizes the decoded text.
 */
export interface FeedSource {
  readonly name: string;
  recognizes(text: string, contentType?: string): boolean;
  /** Throws on a document it cannot read; the parser maps that to `parse_error`. */
  parse(text: string, baseUrl?: string): ParsedFeed;
}
