import { excerpt, FeedrelayError } from '../../domain/errors.js';
import { acceptFeedUrl } from '../../domain/feed.js';
import { readXmlDocument, XmlSyntaxError, type XmlElement } from '../parsing/xml-document.js';
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
export class OpmlError extends FeedrelayError {
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

/** The feed an `<outline>` names with its `xmlUrl`, if any; a URL that is no feed URL fails. */
function outlineFeed(outline: XmlElement, fail: (element: XmlElement, reason: string) => never): OpmlFeed | undefined {
  const xmlUrl = outline.attribute('xmlUrl') ?? outline.attribute('xmlurl');
  if (xmlUrl === undefined) return undefined;
  let url: string;
  try {
    url = acceptFeedUrl(xmlUrl);
  } catch (error) {
    return fail(outline, `outline xmlUrl ${excerpt(xmlUrl, 60)} is not a feed URL: ${(error as Error).message}`);
  }
  const title = (outline.attribute('title') ?? outline.attribute('text'))?.trim();
  return { url, ...(title ? { title } : {}) };
}

/**
 * Reads the feeds of an OPML 1.0/2.0 subscription list: every `<outline>` with an `xmlUrl`, at any depth.
 * The whole document is checked before anything is returned, so a caller never imports half a file. The text is
 * read by the same XML reader as feeds (`readXmlDocument`, over sax).
 */
export function parseOpml(text: string): OpmlFeed[] {
  let root: XmlElement;
  try {
    root = readXmlDocument(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) {
      throw new OpmlError(error.line, error.column, `not well-formed XML: ${error.reason}`);
    }
    throw error;
  }
  const fail = (element: XmlElement, reason: string): never => {
    throw new OpmlError(element.position.line, element.position.column, reason);
  };
  if (root.name !== 'opml') fail(root, `expected the root element <opml>, found <${root.name}>`);

  const feeds: OpmlFeed[] = [];
  const seen = new Set<string>();
  let sawBody = false;
  // Depth-first in document order, without recursion: outlines nest as deep as a file cares to.
  const pending: { element: XmlElement; parent?: XmlElement; inBody: boolean }[] = [{ element: root, inBody: false }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { element, parent, inBody } = next;
    if (element.name === 'body') {
      if (parent !== root) fail(element, '<body> must be a child of <opml>');
      sawBody = true;
    }
    if (element.name === 'outline') {
      if (!inBody) fail(element, '<outline> outside <body>');
      const feed = outlineFeed(element, fail);
      if (feed !== undefined && !seen.has(feed.url)) {
        seen.add(feed.url);
        feeds.push(feed);
      }
    }
    const children = element.elements();
    for (let index = children.length - 1; index >= 0; index -= 1) {
      pending.push({ element: children[index]!, parent: element, inBody: inBody || element.name === 'body' });
    }
  }
  if (!sawBody) {
    const lines = text.split('\n');
    throw new OpmlError(lines.length, lines[lines.length - 1]!.length + 1, 'no <body> element: expected <opml><body>…');
  }
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
