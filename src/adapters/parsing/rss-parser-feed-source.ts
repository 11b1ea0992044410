import { injectable } from 'inversify';
import Parser from 'rss-parser';
import type { FeedSource } from '../../application/ports/feed-parser.port.js';
import type { Author, Enclosure, FeedMetadata, ParsedFeed, ParsedItem } from '../../domain/article.js';
import type { PublisherSchedule } from '../../domain/schedule.js';
import { toIsoDate } from './dates.js';
import { rootElementOf } from './markup-sniffing.js';
import {
  clean,
  firstOf,
  nestedBase,
  parsePerson,
  resolveLink,
  uniqueAuthors,
  uniqueEnclosures,
  uniqueStrings,
  withoutEmpty,
} from './normalize.js';

/** A node of the xml2js tree rss-parser builds: text, or an element with attributes (`$`), text (`_`), children. */
type XmlNode = string | XmlElement;
interface XmlElement {
  readonly [key: string]: unknown;
}

/** What rss-parser returns for a channel, a feed or an item, with the raw element lists we ask it to keep. */
interface RssParserRecord {
  [key: string]: unknown;
  items?: RssParserRecord[];
}

/** The parts of rss-parser 3.13 used to obtain its result synchronously and to shield its Atom path. */
interface RssParserInternals {
  xmlParser: { parseString(xml: string, callback: (error: unknown, result: unknown) => void): unknown };
  buildAtomFeed(document: XmlElement): RssParserRecord;
  buildRSS(channel: unknown, items: unknown): RssParserRecord;
  parseItemAtom(entry: unknown): RssParserRecord;
  parseItemRss(item: unknown, fields: unknown): RssParserRecord;
  parseString(xml: string): Promise<unknown>;
}

const ATOM_PREFIXES = ['atom', 'atom10', 'a10'];
const atom = (name: string): string[] => ATOM_PREFIXES.map((prefix) => `${prefix}:${name}`);

/** Elements kept as raw xml2js lists (rss-parser `customFields` with `keepArray`), for channels and feeds. */
const FEED_ELEMENTS = [
  '$',
  'title',
  'dc:title',
  'link',
  ...atom('link'),
  'description',
  'dc:description',
  'itunes:summary',
  'subtitle',
  'tagline',
  'language',
  'dc:language',
  'lastBuildDate',
  'dc:date',
  'updated',
  'modified',
  ...atom('updated'),
  'author',
  'ttl',
  'skipHours',
  'skipDays',
];

/** Elements kept as raw xml2js lists for items and entries. */
const ITEM_ELEMENTS = [
  '$',
  'title',
  'dc:title',
  'link',
  ...atom('link'),
  'guid',
  'id',
  'description',
  'dc:description',
  'itunes:summary',
  'content:encoded',
  ...atom('content'),
  'content',
  'pubDate',
  'dc:date',
  ...atom('published'),
  ...atom('updated'),
  'published',
  'updated',
  'issued',
  'modified',
  'created',
  'author',
  'dc:creator',
  'dc:author',
  'itunes:author',
  ...atom('author'),
  'category',
  'itunes:keywords',
  'dc:subject',
  ...atom('category'),
  'enclosure',
  'media:content',
  'media:group',
];

const RAW = 'raw:';
const keepRaw = (name: string): [string, string, { keepArray: true }] => [name, RAW + name, { keepArray: true }];
const PARSER_OPTIONS = {
  defaultRSS: 2,
  customFields: { feed: FEED_ELEMENTS.map(keepRaw), item: ITEM_ELEMENTS.map(keepRaw) },
} as unknown as Parser.ParserOptions<Record<string, unknown>, Record<string, unknown>>;

const isElement = (node: unknown): node is XmlElement =>
  typeof node === 'object' && node !== null && !Array.isArray(node);

function nodes(record: XmlElement | undefined, ...names: string[]): XmlNode[] {
  if (!record) return [];
  return names.flatMap((name) => {
    const value = record[name.startsWith(RAW) ? name : RAW + name];
    return Array.isArray(value)
      ? value.filter((node): node is XmlNode => typeof node === 'string' || isElement(node))
      : [];
  });
}

function childNodes(node: XmlNode, name: string): XmlNode[] {
  if (!isElement(node)) return [];
  const value = node[name];
  return Array.isArray(value)
    ? value.filter((child): child is XmlNode => typeof child === 'string' || isElement(child))
    : [];
}

function attribute(node: XmlNode | undefined, name: string): string | undefined {
  if (!isElement(node)) return undefined;
  const attributes = node['$'];
  return isElement(attributes) ? clean(attributes[name]) : undefined;
}

function rootAttribute(record: XmlElement, name: string): string | undefined {
  const attributes = record[`${RAW}$`];
  return isElement(attributes) ? clean(attributes[name]) : undefined;
}

/** The text of an element: its character data, ignoring child elements. */
function textOf(node: XmlNode | undefined): string | undefined {
  if (typeof node === 'string') return clean(node);
  return isElement(node) ? clean(node['_']) : undefined;
}

/** The text of an element and of everything inside it, as for an Atom `xhtml` title. */
function deepTextOf(node: XmlNode | undefined): string | undefined {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (isElement(value)) {
      for (const key of Object.keys(value)) if (key !== '$') walk(value[key]);
    }
  };
  walk(node);
  return clean(parts.join(' ').replace(/\s+/g, ' '));
}

function firstText(record: XmlElement, ...names: string[]): string | undefined {
  for (const node of nodes(record, ...names)) {
    const text = textOf(node);
    if (text !== undefined) return text;
  }
  return undefined;
}

function firstBody(record: XmlElement, ...names: string[]): string | undefined {
  for (const node of nodes(record, ...names)) {
    const body = bodyOf(node);
    if (body !== undefined) return body;
  }
  return undefined;
}

function firstDate(record: XmlElement, ...names: string[]): string | undefined {
  for (const node of nodes(record, ...names)) {
    const date = toIsoDate(textOf(node));
    if (date !== undefined) return date;
  }
  return undefined;
}

function isAlternate(node: XmlNode): boolean {
  const rel = attribute(node, 'rel')?.toLowerCase();
  return rel === undefined || rel === 'alternate';
}

/** The `alternate` (or rel-less) link among Atom-style links, preferring an HTML one. */
function alternateHref(links: readonly XmlNode[], base: string | undefined): string | undefined {
  const candidates = links.filter((link) => attribute(link, 'href') !== undefined && isAlternate(link));
  const html = candidates.find((link) => {
    const type = attribute(link, 'type')?.toLowerCase();
    return type === undefined || type.includes('html');
  });
  const chosen = html ?? candidates[0];
  return chosen === undefined
    ? undefined
    : resolveLink(attribute(chosen, 'href'), nestedBase(base, attribute(chosen, 'xml:base')));
}

/** The children of an element with a local name, whatever their prefix (`name`, `atom:name`). */
function childrenByLocalName(node: XmlNode, localName: string): XmlNode[] {
  if (!isElement(node)) return [];
  return Object.keys(node)
    .filter((key) => key === localName || key.endsWith(`:${localName}`))
    .flatMap((key) => childNodes(node, key));
}

function atomPersons(list: readonly XmlNode[]): Author[] | undefined {
  return uniqueAuthors(
    list.map((node) => {
      const names = childrenByLocalName(node, 'name');
      const emails = childrenByLocalName(node, 'email');
      if (names.length === 0 && emails.length === 0) return parsePerson(textOf(node));
      return { name: textOf(names[0]), email: textOf(emails[0]) };
    }),
  );
}

function atomCategories(list: readonly XmlNode[]): (string | undefined)[] {
  return list.map((node) => attribute(node, 'label') ?? attribute(node, 'term') ?? textOf(node));
}

function atomEnclosures(links: readonly XmlNode[], base: string | undefined): (Enclosure | undefined)[] {
  return links
    .filter((link) => attribute(link, 'rel')?.toLowerCase() === 'enclosure')
    .map((link) => {
      const url = resolveLink(attribute(link, 'href'), base);
      return url === undefined ? undefined : { url, type: attribute(link, 'type'), length: attribute(link, 'length') };
    });
}

function rssLink(record: XmlElement, base: string | undefined): string | undefined {
  const links = nodes(record, 'link');
  for (const link of links) {
    const text = textOf(link);
    if (text !== undefined) return resolveLink(text, base);
  }
  return alternateHref([...links, ...nodes(record, ...atom('link'))], base);
}

function rssEnclosures(item: XmlElement, base: string | undefined): Enclosure[] | undefined {
  const enclosure = (node: XmlNode): Enclosure | undefined => {
    const url = resolveLink(attribute(node, 'url'), base);
    return url === undefined ? undefined : { url, type: attribute(node, 'type'), length: attribute(node, 'length') };
  };
  const declared = uniqueEnclosures(nodes(item, 'enclosure').map(enclosure));
  if (declared) return declared;
  const media = [
    ...nodes(item, 'media:content'),
    ...nodes(item, 'media:group').flatMap((group) => childNodes(group, 'media:content')),
  ];
  return uniqueEnclosures(
    media
      .filter((node) => {
        const kind = `${attribute(node, 'medium') ?? ''} ${attribute(node, 'type') ?? ''}`.toLowerCase();
        return /\b(audio|video)\b/.test(kind);
      })
      .map((node) => {
        const found = enclosure(node);
        return found && { ...found, length: attribute(node, 'fileSize') };
      }),
  );
}

function rssAuthors(item: XmlElement): Author[] | undefined {
  for (const names of [['author'], ['dc:creator'], ['dc:author'], ['itunes:author']]) {
    const authors = uniqueAuthors(nodes(item, ...names).map((node) => parsePerson(textOf(node))));
    if (authors) return authors;
  }
  return atomPersons(nodes(item, ...atom('author')));
}

function rssGuid(item: XmlElement): { guid?: string; permalink?: string } {
  const node = nodes(item, 'guid')[0];
  const guid = textOf(node);
  const isPermaLink = attribute(node, 'isPermaLink')?.toLowerCase() !== 'false';
  return { guid, permalink: guid !== undefined && isPermaLink && /^https?:\/\//i.test(guid) ? guid : undefined };
}

function rssItem(item: RssParserRecord, feedBase: string | undefined): ParsedItem {
  const base = nestedBase(feedBase, rootAttribute(item, 'xml:base'));
  const { guid, permalink } = rssGuid(item);
  const dcDate = firstDate(item, 'dc:date');
  return withoutEmpty<ParsedItem>({
    guid,
    title: firstText(item, 'title', 'dc:title'),
    link: rssLink(item, base) ?? permalink,
    published: firstOf(firstDate(item, 'pubDate'), dcDate, firstDate(item, ...atom('published'))),
    updated: firstOf(firstDate(item, ...atom('updated')), dcDate),
    summary: firstOf(firstBody(item, 'description'), firstText(item, 'dc:description', 'itunes:summary')),
    content: firstBody(item, 'content:encoded', ...atom('content')),
    authors: rssAuthors(item),
    categories: uniqueStrings([
      ...nodes(item, 'category').map(textOf),
      ...nodes(item, 'itunes:keywords').flatMap((node) => (textOf(node) ?? attribute(node, 'text') ?? '').split(',')),
      ...nodes(item, 'dc:subject').map(textOf),
      ...atomCategories(nodes(item, ...atom('category'))),
    ]),
    enclosures: rssEnclosures(item, base),
  });
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** RSS 2.0 `ttl` (minutes), `skipHours` (`<hour>` 0–23, GMT; 24 read as 0) and `skipDays` (`<day>` names). */
function rssSchedule(channel: RssParserRecord): PublisherSchedule | undefined {
  const ttl = Number(firstText(channel, 'ttl'));
  const listed = (name: string, child: string): string[] =>
    nodes(channel, name)
      .flatMap((node) => childNodes(node, child))
      .map((node) => textOf(node)?.toLowerCase())
      .filter((text): text is string => text !== undefined);
  const hours = [
    ...new Set(
      listed('skipHours', 'hour')
        .map(Number)
        .filter((hour) => Number.isInteger(hour) && hour >= 0 && hour <= 24)
        .map((hour) => hour % 24),
    ),
  ].sort((a, b) => a - b);
  const days = [...new Set(listed('skipDays', 'day').map((day) => DAYS.indexOf(day)))]
    .filter((day) => day >= 0)
    .sort((a, b) => a - b);
  const schedule: PublisherSchedule = {
    ...(Number.isInteger(ttl) && ttl > 0 ? { ttlMinutes: ttl } : {}),
    ...(hours.length > 0 ? { skipHours: hours } : {}),
    ...(days.length > 0 ? { skipDays: days } : {}),
  };
  return Object.keys(schedule).length > 0 ? schedule : undefined;
}

function rssFeed(channel: RssParserRecord, documentUrl: string | undefined): ParsedFeed {
  const base = nestedBase(documentUrl, rootAttribute(channel, 'xml:base'));
  const feed = withoutEmpty<FeedMetadata>({
    title: firstText(channel, 'title', 'dc:title'),
    link: rssLink(channel, base),
    description: firstText(channel, 'description', 'dc:description', 'itunes:summary'),
    language: firstText(channel, 'language', 'dc:language'),
    updated: firstDate(channel, 'lastBuildDate', 'dc:date', ...atom('updated')),
  });
  const schedule = rssSchedule(channel);
  return {
    feed,
    items: (channel.items ?? []).map((item) => rssItem(item, base)),
    ...(schedule !== undefined ? { schedule } : {}),
  };
}

function atomEntry(
  entry: RssParserRecord,
  feedBase: string | undefined,
  feedAuthors: Author[] | undefined,
): ParsedItem {
  const base = nestedBase(feedBase, rootAttribute(entry, 'xml:base'));
  const links = nodes(entry, 'link');
  const title = nodes(entry, 'title')[0];
  const updated = firstDate(entry, 'updated', 'modified');
  return withoutEmpty<ParsedItem>({
    guid: firstText(entry, 'id'),
    title: textOf(title) ?? deepTextOf(title),
    link: alternateHref(links, base),
    published: firstOf(firstDate(entry, 'published', 'issued', 'created'), updated),
    updated,
    summary: firstBody(entry, 'summary'),
    content: firstBody(entry, 'content'),
    authors: atomPersons(nodes(entry, 'author')) ?? feedAuthors,
    categories: uniqueStrings(atomCategories(nodes(entry, 'category'))),
    enclosures: uniqueEnclosures(atomEnclosures(links, base)),
  });
}

function atomFeed(feed: RssParserRecord, documentUrl: string | undefined): ParsedFeed {
  const base = nestedBase(documentUrl, rootAttribute(feed, 'xml:base'));
  const title = nodes(feed, 'title')[0];
  const subtitle = nodes(feed, 'subtitle', 'tagline')[0];
  const metadata = withoutEmpty<FeedMetadata>({
    title: textOf(title) ?? deepTextOf(title),
    link: alternateHref(nodes(feed, 'link'), base),
    description: textOf(subtitle) ?? deepTextOf(subtitle),
    language: rootAttribute(feed, 'xml:lang'),
    updated: firstDate(feed, 'updated', 'modified'),
  });
  const authors = atomPersons(nodes(feed, 'author'));
  return { feed: metadata, items: (feed.items ?? []).map((entry) => atomEntry(entry, base, authors)) };
}

/**
 * What stands in for an empty element, which xml2js gives as `''`: rss-parser would otherwise read string
 * methods such as `''.link` as children.
 */
const emptyElement = (): XmlElement => Object.create(null) as XmlElement;

/** A copy of an xml2js element without some children (null prototype, as xml2js builds them). */
function without(element: XmlElement, ...names: string[]): XmlElement {
  const copy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(element)) if (!names.includes(key)) copy[key] = element[key];
  return copy;
}

/** Atom links rss-parser can read: its link selection dereferences `$` of every `<link>`. */
function withSafeLinks(element: XmlElement): XmlElement {
  const links = element['link'];
  if (!Array.isArray(links)) return element;
  const copy = without(element) as Record<string, unknown>;
  copy['link'] = links.filter((link) => isElement(link) && isElement(link['$']));
  return copy;
}

/**
 * Children rss-parser must not see: Atom dates it would throw on, and bodies it would run its (super-linear)
 * HTML snippet regexes over. They are kept raw and normalized here instead.
 */
const ATOM_HIDDEN = ['published', 'updated', 'content', 'summary'];
const RSS_HIDDEN = ['description', 'content:encoded'];

/** Runs an rss-parser item builder on a copy without the hidden children, then puts them back raw. */
function reattached(
  node: unknown,
  hidden: readonly string[],
  parse: (safe: XmlElement) => RssParserRecord,
): RssParserRecord {
  if (!isElement(node)) return parse(emptyElement());
  const item = parse(without(node, ...hidden));
  for (const name of [...hidden, 'link']) item[RAW + name] = node[name];
  return item;
}

const escapeText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (text: string): string => escapeText(text).replace(/"/g, '&quot;');

/** Markup for what an element holds (xml2js keeps text before child elements; it loses their interleaving). */
function innerMarkupOf(element: XmlElement): string {
  let markup = typeof element['_'] === 'string' ? escapeText(element['_']) : '';
  for (const key of Object.keys(element)) {
    if (key === '$' || key === '_') continue;
    const children = element[key];
    if (Array.isArray(children)) for (const child of children) markup += markupOf(child, key);
  }
  return markup;
}

function markupOf(node: unknown, name: string): string {
  if (typeof node === 'string') return node === '' ? `<${name}/>` : `<${name}>${escapeText(node)}</${name}>`;
  if (!isElement(node)) return '';
  const attributes = isElement(node['$'])
    ? Object.entries(node['$'])
        .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
        .map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`)
        .join('')
    : '';
  const inner = innerMarkupOf(node);
  return inner === '' ? `<${name}${attributes}/>` : `<${name}${attributes}>${inner}</${name}>`;
}

/** The body of an element: its text, or the markup inside it; for Atom `xhtml`, what its `<div>` holds. */
function bodyOf(node: XmlNode | undefined): string | undefined {
  if (node === undefined || typeof node === 'string') return clean(node);
  const elementKeys = Object.keys(node).filter((key) => key !== '$' && key !== '_');
  if (elementKeys.length === 0) return clean(node['_']);
  if (
    attribute(node, 'type')?.toLowerCase() === 'xhtml' &&
    clean(node['_']) === undefined &&
    elementKeys.length === 1
  ) {
    const divs = node[elementKeys[0]!];
    if (/^(?:\w+:)?div$/.test(elementKeys[0]!) && Array.isArray(divs) && divs.length === 1 && isElement(divs[0])) {
      return clean(innerMarkupOf(divs[0]));
    }
  }
  return clean(innerMarkupOf(node));
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const [first, ...details] = message.split('\n');
  const position = Object.fromEntries(
    details.map((line) => line.split(':').map((part) => part.trim())).filter((pair) => pair.length === 2),
  ) as Record<string, string | undefined>;
  const line = position['Line'] === undefined ? undefined : Number(position['Line']) + 1;
  return line === undefined ? first!.trim() : `${first!.trim()} (line ${line}, column ${position['Column'] ?? '?'})`;
}

/** What rss-parser would trip over in an otherwise well-formed document, said plainly. */
function structuralProblem(document: unknown): string | undefined {
  if (!isElement(document)) return undefined;
  for (const root of ['rss', 'rdf:RDF']) {
    const element = document[root];
    if (element !== undefined && !(isElement(element) && Array.isArray(element['channel']))) {
      return `the <${root}> element has no <channel>`;
    }
  }
  return undefined;
}

type Built = { readonly kind: 'rss' | 'atom'; readonly record: RssParserRecord };

/**
 * Reads RSS 0.9x, RSS 1.0 (RDF), RSS 2.0 and Atom 0.3/1.0 with rss-parser's `parseString` and normalizes what
 * it returns, with the raw elements it keeps through `customFields`, into a `ParsedFeed`. rss-parser settles its
 * promise synchronously from xml2js, so the result is taken from its builders; its item builders never see the
 * Atom dates they would throw on nor the bodies they would run super-linear snippet regexes over.
 */
@injectable()
export class RssParserFeedSource implements FeedSource {
  readonly name = 'rss-parser';

  recognizes(text: string): boolean {
    const root = rootElementOf(text);
    return root.kind === 'element' && ['rss', 'rdf:RDF', 'feed'].includes(root.name);
  }

  parse(text: string, baseUrl?: string): ParsedFeed {
    const built = this.build(text);
    return built.kind === 'atom' ? atomFeed(built.record, baseUrl) : rssFeed(built.record, baseUrl);
  }

  private build(text: string): Built {
    const parser = new Parser(PARSER_OPTIONS) as unknown as RssParserInternals;
    let built: Built | undefined;
    let failure: unknown;

    const xmlParser = parser.xmlParser;
    parser.xmlParser = {
      parseString: (xml, callback) =>
        xmlParser.parseString(xml, (error, result) => {
          if (error) failure ??= error;
          const problem = error ? undefined : structuralProblem(result);
          if (problem !== undefined) {
            failure ??= new Error(problem);
            return;
          }
          try {
            callback(error, result);
          } catch (thrown) {
            failure ??= thrown;
          }
        }),
    };
    const buildAtomFeed = parser.buildAtomFeed.bind(parser);
    const buildRss = parser.buildRSS.bind(parser);
    const parseItemAtom = parser.parseItemAtom.bind(parser);
    const parseItemRss = parser.parseItemRss.bind(parser);
    parser.buildAtomFeed = (document) => {
      const feed = isElement(document['feed']) ? withSafeLinks(document['feed']) : emptyElement();
      const record = buildAtomFeed({ feed } as XmlElement);
      built = { kind: 'atom', record };
      return record;
    };
    parser.buildRSS = (channel, items) => {
      const record = buildRss(isElement(channel) ? channel : emptyElement(), items);
      built = { kind: 'rss', record };
      return record;
    };
    parser.parseItemAtom = (entry) => reattached(entry, ATOM_HIDDEN, (safe) => parseItemAtom(withSafeLinks(safe)));
    parser.parseItemRss = (item, fields) => reattached(item, RSS_HIDDEN, (safe) => parseItemRss(safe, fields));

    parser.parseString(text).catch(() => undefined);
    if (failure !== undefined) throw new Error(`invalid feed XML: ${describeError(failure)}`);
    if (built === undefined) {
      const root = rootElementOf(text);
      throw new Error(`not an RSS or Atom document${root.kind === 'element' ? ` (root <${root.name}>)` : ''}`);
    }
    return built;
  }
}
