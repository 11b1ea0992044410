import sax from 'sax';
import { excerpt } from '../../domain/errors.js';
import { acceptFeedUrl } from '../../domain/feed.js';
import {
  decodeStrictly,
  UndecodableTextError,
  UnsupportedEncodingError,
  xmlEncodingOf,
} from '../text/strict-decode.js';

export interface OpmlFeed {
  readonly url: string;
  readonly title?: string;
}

/** A broken OPML document: where (line, column, 1-based) and what was expected. */
export class OpmlError extends Error {
  readonly code = 'invalid_opml';

  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'OpmlError';
  }
}

/**
 * Reads the feeds of an OPML file's bytes: decoded by its byte order mark or XML declaration (UTF-8 when it
 * declares nothing), refusing bytes that are not valid text in that encoding, then as `parseOpml` does.
 */
export function parseOpmlBytes(bytes: Uint8Array): OpmlFeed[] {
  let text: string;
  try {
    text = decodeStrictly(bytes, xmlEncodingOf(bytes));
  } catch (error) {
    if (error instanceof UndecodableTextError) {
      throw new OpmlError(
        error.line,
        error.column,
        `bytes that are not valid ${error.encoding} text (byte ${error.byteOffset}); expected the encoding its XML declaration names (UTF-8 when it names none)`,
      );
    }
    if (error instanceof UnsupportedEncodingError) throw new OpmlError(1, 1, error.message);
    throw error;
  }
  return parseOpml(text);
}

/**
 * Reads the feeds of an OPML 1.0/2.0 subscription list: every `<outline>` with an `xmlUrl`, at any depth.
 * The whole document is checked before anything is returned, so a caller never imports half a file.
 */
export function parseOpml(text: string): OpmlFeed[] {
  const parser = sax.parser(true, { trim: false, position: true });
  const feeds: OpmlFeed[] = [];
  const seen = new Set<string>();
  const stack: string[] = [];
  let sawBody = false;
  let failure: OpmlError | undefined;
  const fail = (reason: string): void => {
    failure ??= new OpmlError(parser.line + 1, parser.column + 1, reason);
  };

  parser.onerror = (error) => {
    fail(`not well-formed XML: ${error.message.split('\n')[0]}`);
    parser.error = null as unknown as Error;
    parser.close();
  };
  parser.onopentag = (node) => {
    const name = node.name;
    if (stack.length === 0 && name !== 'opml') fail(`expected the root element <opml>, found <${name}>`);
    if (name === 'body') {
      if (stack[stack.length - 1] !== 'opml') fail('<body> must be a child of <opml>');
      sawBody = true;
    }
    if (name === 'outline') {
      if (!stack.includes('body')) fail('<outline> outside <body>');
      const attributes = node.attributes as Record<string, string>;
      const xmlUrl = attributes.xmlUrl ?? attributes.xmlurl;
      if (xmlUrl !== undefined) {
        try {
          const url = acceptFeedUrl(xmlUrl);
          const title = (attributes.title ?? attributes.text)?.trim();
          if (!seen.has(url)) {
            seen.add(url);
            feeds.push({ url, ...(title ? { title } : {}) });
          }
        } catch (error) {
          fail(`outline xmlUrl ${excerpt(xmlUrl, 60)} is not a feed URL: ${(error as Error).message}`);
        }
      }
    }
    stack.push(name);
  };
  parser.onclosetag = () => {
    stack.pop();
  };

  try {
    parser.write(text).close();
  } catch (error) {
    fail(`not well-formed XML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (failure) throw failure;
  if (stack.length > 0)
    throw new OpmlError(parser.line + 1, parser.column + 1, `unclosed <${stack[stack.length - 1]}>`);
  if (!sawBody) throw new OpmlError(parser.line + 1, parser.column + 1, 'no <body> element: expected <opml><body>…');
  return feeds;
}

const escape = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** Writes an OPML 2.0 subscription list. */
export function writeOpml(feeds: readonly OpmlFeed[], title = 'feedrelay feeds', now = new Date()): string {
  const outlines = feeds.map((feed) => {
    const text = escape(feed.title ?? feed.url);
    return `    <outline type="rss" text="${text}" title="${text}" xmlUrl="${escape(feed.url)}"/>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<opml version="2.0">',
    '  <head>',
    `    <title>${escape(title)}</title>`,
    `    <dateCreated>${now.toUTCString()}</dateCreated>`,
    '  </head>',
    '  <body>',
    ...outlines,
    '  </body>',
    '</opml>',
    '',
  ].join('\n');
}
