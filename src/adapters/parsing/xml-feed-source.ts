import { injectable } from 'inversify';
import type { FeedSource } from '../../application/ports/feed-parser.port.js';
import type { Author, Enclosure, FeedMetadata, ParsedFeed, ParsedItem } from '../../domain/article.js';
import type { PublisherSchedule } from '../../domain/schedule.js';
import { toIsoDate } from './dates.js';
import { rootElementOf } from './markup-sniffing.js';
import {
  clean,
  firstOf,
  parsePerson,
  resolveLink,
  uniqueAuthors,
  uniqueEnclosures,
  uniqueStrings,
  withoutEmpty,
} from './normalize.js';
import { bodyOf, plainTextOf } from './xml-content.js';
import { NS, readXmlDocument, type XmlElement } from './xml-document.js';

/** Namespaces, or none (`undefined`), in which an element counts. */
type Vocabulary = readonly (string | undefined)[];

const ATOM: Vocabulary = [NS.atom, NS.atom03];

/**
 * The vocabulary of the document's own format: no namespace, the format's namespaces, and whatever namespace
 * its root element is in (an RSS document written with a default namespace or an `rss:` prefix); an RDF root
 * is only the envelope of RSS 1.0.
 */
const coreOf = (root: XmlElement, formats: Vocabulary): Vocabulary =>
  root.namespace === NS.rdf ? [undefined, ...formats] : [undefined, ...formats, root.namespace];
const RSS_NAMESPACES: Vocabulary = [NS.rss10, NS.rss09, NS.rss2];

/** Finds the children of an element with a local name in one vocabulary: `dc(item, 'date')`, … */
type Finder = (parent: XmlElement | undefined, local: string) => readonly XmlElement[];
const within =
  (vocabulary: Vocabulary): Finder =>
  (parent, local) =>
    parent?.all(vocabulary, local) ?? [];

const textOf = (element: XmlElement | undefined): string | undefined =>
  element === undefined ? undefined : clean(element.text());

const firstText = (elements: readonly XmlElement[]): string | undefined => firstOf(...elements.map(plainTextOf));
const firstBody = (elements: readonly XmlElement[]): string | undefined => firstOf(...elements.map(bodyOf));
const firstDate = (elements: readonly XmlElement[]): string | undefined =>
  firstOf(...elements.map((element) => toIsoDate(textOf(element))));

/** A language tag as feeds should write it: `en_US` (a locale) becomes `en-US`; an empty one is none. */
function languageTag(raw: string | undefined): string | undefined {
  return clean(raw)?.replace(/_/g, '-');
}

const atom = within(ATOM);
const dc = within([NS.dc]);
const dcterms = within([NS.dcterms]);
const content = within([NS.content]);
const media = within([NS.media]);
const itunes = within([NS.itunes]);
const xhtml = within([NS.xhtml]);

/** Media RSS elements of an item, the item's own first, then its groups', then its contents'. */
function mediaElements(item: XmlElement, local: string): readonly XmlElement[] {
  const groups = media(item, 'group');
  const own = media(item, 'content');
  if (groups.length === 0 && own.length === 0) return media(item, local);
  const contents = [...own, ...groups.flatMap((group) => media(group, 'content'))];
  return [
    ...media(item, local),
    ...groups.flatMap((group) => media(group, local)),
    ...contents.flatMap((c) => media(c, local)),
  ];
}

function isAlternate(link: XmlElement): boolean {
  const rel = clean(link.attribute('rel'))?.toLowerCase();
  return rel === undefined || rel === 'alternate';
}

/** An Atom link's target: its `href`, or its text for a link written `<link>https://…</link>`. */
const hrefOf = (link: XmlElement): string | undefined => clean(link.attribute('href')) ?? textOf(link);

/** The `alternate` (or rel-less) link among Atom links, preferring an HTML one, resolved against its xml:base. */
function alternateHref(links: readonly XmlElement[]): string | undefined {
  const candidates = links.filter((link) => hrefOf(link) !== undefined && isAlternate(link));
  const html = candidates.find((link) => {
    const type = clean(link.attribute('type'))?.toLowerCase();
    return type === undefined || type.includes('html');
  });
  const chosen = html ?? candidates[0];
  return chosen === undefined ? undefined : resolveLink(hrefOf(chosen), chosen.base);
}

function atomPersons(persons: readonly XmlElement[], core: Finder): Author[] | undefined {
  return uniqueAuthors(
    persons.map((person) => {
      const name = core(person, 'name')[0];
      const email = core(person, 'email')[0];
      if (name === undefined && email === undefined) return parsePerson(textOf(person));
      return { name: textOf(name), email: textOf(email) };
    }),
  );
}

/** Atom categories by their `term` (what the category is), else their `label` (how to show it). */
function atomCategories(categories: readonly XmlElement[]): (string | undefined)[] {
  return categories.map(
    (category) => clean(category.attribute('term')) ?? clean(category.attribute('label')) ?? textOf(category),
  );
}

function atomEnclosures(links: readonly XmlElement[]): (Enclosure | undefined)[] {
  return links
    .filter((link) => clean(link.attribute('rel'))?.toLowerCase() === 'enclosure')
    .map((link) => {
      const url = resolveLink(link.attribute('href'), link.base);
      return url === undefined ? undefined : { url, type: link.attribute('type'), length: link.attribute('length') };
    });
}

class RssReader {
  private readonly core: Finder;

  constructor(root: XmlElement) {
    this.core = within(coreOf(root, RSS_NAMESPACES));
  }

  feed(root: XmlElement, channel: XmlElement): ParsedFeed {
    const core = this.core;
    const feed = withoutEmpty<FeedMetadata>({
      title: firstText([...core(channel, 'title'), ...dc(channel, 'title'), ...dcterms(channel, 'title')]),
      link: this.link(channel),
      description: firstText([
        ...core(channel, 'description'),
        ...dc(channel, 'description'),
        ...dcterms(channel, 'description'),
        ...itunes(channel, 'summary'),
      ]),
      language: languageTag(
        firstText([...core(channel, 'language'), ...dc(channel, 'language'), ...dcterms(channel, 'language')]) ??
          channel.lang,
      ),
      updated: firstDate([
        ...core(channel, 'lastBuildDate'),
        ...dc(channel, 'date'),
        ...dcterms(channel, 'modified'),
        ...atom(channel, 'updated'),
      ]),
    });
    // RSS 1.0 puts items beside the channel, RSS 2.0 inside it.
    const items = [...core(channel, 'item'), ...core(root, 'item')];
    const schedule = this.schedule(channel);
    return {
      feed,
      items: items.map((item) => this.item(item)),
      ...(schedule !== undefined ? { schedule } : {}),
    };
  }

  /**
   * The channel's or item's link. Of several `<link>` elements the last wins (as gofeed and feedparser read them),
   * whether written as text or as an alternate `href`; Atom links are the fallback.
   */
  private link(parent: XmlElement): string | undefined {
    const links = this.core(parent, 'link');
    for (const link of [...links].reverse()) {
      const text = textOf(link);
      if (text !== undefined) return resolveLink(text, link.base);
      const href = clean(link.attribute('href'));
      if (href !== undefined && isAlternate(link)) return resolveLink(href, link.base);
    }
    return alternateHref(atom(parent, 'link'));
  }

  private item(item: XmlElement): ParsedItem {
    const core = this.core;
    const guidElement = core(item, 'guid')[0];
    const guid = textOf(guidElement);
    const isPermaLink = clean(guidElement?.attribute('isPermaLink'))?.toLowerCase() !== 'false';
    const permalink = guid !== undefined && isPermaLink && /^https?:\/\//i.test(guid) ? guid : undefined;
    const dcDate = firstDate(dc(item, 'date'));
    return withoutEmpty<ParsedItem>({
      // RSS 1.0 names each item by its rdf:about.
      guid: guid ?? clean(item.attribute('about', NS.rdf)),
      title: firstText([
        ...core(item, 'title'),
        ...dc(item, 'title'),
        ...dcterms(item, 'title'),
        ...atom(item, 'title'),
        ...mediaElements(item, 'title'),
        ...itunes(item, 'title'),
      ]),
      link: this.link(item) ?? permalink,
      published: firstOf(
        firstDate(core(item, 'pubDate')),
        dcDate,
        firstDate([...dcterms(item, 'issued'), ...dcterms(item, 'created'), ...atom(item, 'published')]),
      ),
      updated: firstOf(firstDate([...atom(item, 'updated'), ...dcterms(item, 'modified')]), dcDate),
      summary: firstOf(
        firstBody(core(item, 'description')),
        firstText([...dc(item, 'description'), ...dcterms(item, 'description'), ...dcterms(item, 'abstract')]),
        firstBody(atom(item, 'summary')),
        firstText([...itunes(item, 'summary'), ...mediaElements(item, 'description')]),
      ),
      content: firstBody([...content(item, 'encoded'), ...atom(item, 'content'), ...xhtml(item, 'body')]),
      authors: this.authors(item),
      categories: uniqueStrings([
        ...core(item, 'category').map(textOf),
        ...itunes(item, 'keywords').flatMap((keywords) => (textOf(keywords) ?? '').split(',')),
        ...dc(item, 'subject').map(textOf),
        ...dcterms(item, 'subject').map(textOf),
        ...atomCategories(atom(item, 'category')),
        ...mediaElements(item, 'category').map(textOf),
        ...itunesCategories(item),
      ]),
      enclosures: this.enclosures(item),
    });
  }

  private authors(item: XmlElement): Author[] | undefined {
    const candidates = [
      this.core(item, 'author'),
      dc(item, 'creator'),
      dc(item, 'author'),
      dcterms(item, 'creator'),
      itunes(item, 'author'),
    ];
    for (const persons of candidates) {
      const authors = uniqueAuthors(persons.map((person) => parsePerson(textOf(person))));
      if (authors) return authors;
    }
    return atomPersons(atom(item, 'author'), within([...ATOM, undefined]));
  }

  private enclosures(item: XmlElement): Enclosure[] | undefined {
    const enclosure = (element: XmlElement, length: string | undefined): Enclosure | undefined => {
      const url = resolveLink(element.attribute('url'), element.base);
      return url === undefined ? undefined : { url, type: element.attribute('type'), length };
    };
    const declared = uniqueEnclosures(
      this.core(item, 'enclosure').map((element) => enclosure(element, element.attribute('length'))),
    );
    if (declared) return declared;
    const contents = [...media(item, 'content'), ...media(item, 'group').flatMap((group) => media(group, 'content'))];
    return uniqueEnclosures(
      contents
        .filter((element) => {
          const kind = `${element.attribute('medium') ?? ''} ${element.attribute('type') ?? ''}`.toLowerCase();
          return /\b(audio|video)\b/.test(kind);
        })
        .map((element) => enclosure(element, element.attribute('fileSize'))),
    );
  }

  /** RSS 2.0 `ttl` (minutes), `skipHours` (`<hour>` 0–23, GMT; 24 read as 0) and `skipDays` (`<day>` names). */
  private schedule(channel: XmlElement): PublisherSchedule | undefined {
    const core = this.core;
    const ttl = Number(textOf(core(channel, 'ttl')[0]));
    const listed = (name: string, child: string): string[] =>
      core(channel, name)
        .flatMap((list) => core(list, child))
        .map((element) => textOf(element)?.toLowerCase())
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
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** iTunes categories by their `text`, subcategories included. */
function itunesCategories(parent: XmlElement): (string | undefined)[] {
  return itunes(parent, 'category').flatMap((category) => [
    clean(category.attribute('text')),
    ...itunesCategories(category),
  ]);
}

class AtomReader {
  private readonly core: Finder;

  constructor(root: XmlElement) {
    this.core = within(coreOf(root, ATOM));
  }

  feed(feed: XmlElement): ParsedFeed {
    const core = this.core;
    const metadata = withoutEmpty<FeedMetadata>({
      title: firstText(core(feed, 'title')),
      link: alternateHref(core(feed, 'link')),
      description: firstText([...core(feed, 'subtitle'), ...core(feed, 'tagline')]),
      language: languageTag(feed.lang),
      updated: firstDate([...core(feed, 'updated'), ...core(feed, 'modified'), ...dcterms(feed, 'modified')]),
    });
    const authors = atomPersons(core(feed, 'author'), core);
    return { feed: metadata, items: core(feed, 'entry').map((entry) => this.entry(entry, authors)) };
  }

  private entry(entry: XmlElement, feedAuthors: Author[] | undefined): ParsedItem {
    const core = this.core;
    const links = core(entry, 'link');
    const updated = firstDate([...core(entry, 'updated'), ...core(entry, 'modified'), ...dcterms(entry, 'modified')]);
    return withoutEmpty<ParsedItem>({
      guid: textOf(core(entry, 'id')[0]),
      title: firstText([...core(entry, 'title'), ...dc(entry, 'title'), ...mediaElements(entry, 'title')]),
      link: alternateHref(links),
      published: firstOf(
        firstDate([
          ...core(entry, 'published'),
          ...core(entry, 'issued'),
          ...core(entry, 'created'),
          ...dcterms(entry, 'issued'),
          ...dcterms(entry, 'created'),
        ]),
        updated,
      ),
      updated,
      summary: firstOf(firstBody(core(entry, 'summary')), firstText(mediaElements(entry, 'description'))),
      content: firstBody(core(entry, 'content')),
      authors: atomPersons(core(entry, 'author'), core) ?? feedAuthors,
      categories: uniqueStrings([
        ...atomCategories(core(entry, 'category')),
        ...dc(entry, 'subject').map(textOf),
        ...mediaElements(entry, 'category').map(textOf),
      ]),
      enclosures: uniqueEnclosures(atomEnclosures(links)),
    });
  }
}

const FEED_ROOTS = ['rss', 'RDF', 'feed'];

/** The RSS channel of a document, or why it has none. */
function channelOf(root: XmlElement): XmlElement {
  const channel = root.first(coreOf(root, RSS_NAMESPACES), 'channel');
  if (channel === undefined) throw new Error(`the <${root.name}> element has no <channel>`);
  return channel;
}

/**
 * Reads RSS 0.9x, RSS 1.0 (RDF), RSS 2.0 and Atom 0.3/1.0 documents, with the extensions feeds commonly carry
 * (Dublin Core and DC terms, content, Media RSS, iTunes, Atom inside RSS), into a `ParsedFeed`. The document is
 * read by `readXmlDocument` (sax, the parser OPML files are read with): namespaces resolved, `xml:base` and
 * `xml:lang` applied, internal DTD entities expanded within bounds.
 */
@injectable()
export class XmlFeedSource implements FeedSource {
  readonly name = 'RSS/Atom';

  recognizes(text: string): boolean {
    const root = rootElementOf(text);
    return root.kind === 'element' && FEED_ROOTS.includes(root.name.slice(root.name.indexOf(':') + 1));
  }

  parse(text: string, baseUrl?: string): ParsedFeed {
    let root: XmlElement;
    try {
      root = readXmlDocument(text, baseUrl);
    } catch (error) {
      throw new Error(`invalid feed XML: ${(error as Error).message}`);
    }
    if (root.local === 'feed') return new AtomReader(root).feed(root);
    if (root.local === 'rss' || root.local === 'RDF') return new RssReader(root).feed(root, channelOf(root));
    throw new Error(`not an RSS or Atom document (root <${root.name}>)`);
  }
}
