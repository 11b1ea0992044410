import sax from 'sax';
import { nestedBase } from './normalize.js';
import { FeedrelayError } from '../../domain/errors.js';

/** Namespaces feeds use, by URI. */
export const NS = {
  xml: 'http://www.w3.org/XML/1998/namespace',
  atom: 'http://www.w3.org/2005/Atom',
  atom03: 'http://purl.org/atom/ns#',
  rss10: 'http://purl.org/rss/1.0/',
  rss09: 'http://my.netscape.com/rdf/simple/0.9/',
  rss2: 'http://backend.userland.com/rss2',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dc: 'http://purl.org/dc/elements/1.1/',
  dcterms: 'http://purl.org/dc/terms/',
  content: 'http://purl.org/rss/1.0/modules/content/',
  media: 'http://search.yahoo.com/mrss/',
  itunes: 'http://www.itunes.com/dtds/podcast-1.0.dtd',
  xhtml: 'http://www.w3.org/1999/xhtml',
  mathml: 'http://www.w3.org/1998/Math/MathML',
  svg: 'http://www.w3.org/2000/svg',
} as const;

/** Spellings of a namespace URI seen in the wild (compared without case), read as the specification's URI. */
const NAMESPACE_ALIASES: Readonly<Record<string, string>> = {
  'http://search.yahoo.com/mrss': NS.media,
  'http://search.yahoo.com/mrss/': NS.media,
  'http://www.itunes.com/dtds/podcast-1.0.dtd': NS.itunes,
  'https://www.itunes.com/dtds/podcast-1.0.dtd': NS.itunes,
  'http://purl.org/dc/elements/1.0/': NS.dc,
  'http://purl.org/rss/1.0/modules/content': NS.content,
};

/** What a prefix means when the document uses it without declaring it, as feeds often do. */
const CONVENTIONAL_PREFIXES: Readonly<Record<string, string>> = {
  xml: NS.xml,
  atom: NS.atom,
  atom10: NS.atom,
  a10: NS.atom,
  rdf: NS.rdf,
  dc: NS.dc,
  dcterms: NS.dcterms,
  content: NS.content,
  media: NS.media,
  itunes: NS.itunes,
  xhtml: NS.xhtml,
};

export interface XmlAttribute {
  /** As written, with its prefix (`rdf:about`, `xml:base`, `href`). */
  readonly name: string;
  readonly local: string;
  /** Unprefixed attributes have none. */
  readonly namespace?: string;
  readonly value: string;
}

export type XmlNode = XmlElement | string;

/** Where in the text something is: 1-based line and column. */
export interface XmlPosition {
  readonly line: number;
  readonly column: number;
}

/**
 * An element of a read document: its name as written and resolved (namespace URI and local name), its
 * attributes, and what it holds (elements and text) in document order. `base` is its effective `xml:base`
 * (resolved against its parent's and the document URL), `lang` its effective `xml:lang`, `position` where its
 * start tag ends.
 */
export class XmlElement {
  readonly children: XmlNode[] = [];
  /** The child elements, and the same by local name: built on the first query, once the document is read. */
  private childElements?: readonly XmlElement[];
  private byLocal?: ReadonlyMap<string, readonly XmlElement[]>;

  constructor(
    readonly name: string,
    readonly local: string,
    readonly namespace: string | undefined,
    readonly attributes: readonly XmlAttribute[],
    readonly base: string | undefined,
    readonly lang: string | undefined,
    readonly position: XmlPosition,
  ) {}

  /** An attribute by its local name: unprefixed, or in `namespace` when one is given. */
  attribute(local: string, namespace?: string): string | undefined {
    for (const attribute of this.attributes) {
      if (attribute.local === local && attribute.namespace === namespace) return attribute.value;
    }
    return undefined;
  }

  /** The child elements, in document order. */
  elements(): readonly XmlElement[] {
    return (this.childElements ??= this.children.filter((child): child is XmlElement => typeof child !== 'string'));
  }

  /**
   * The child elements with a local name in one of some namespaces (`undefined` for none), in document order.
   * A reader asks dozens of these of every item: they are answered from an index of the children by local name,
   * and a query that finds nothing, or every child of that name, allocates nothing.
   */
  all(namespaces: readonly (string | undefined)[], local: string): readonly XmlElement[] {
    const named = this.named().get(local);
    if (named === undefined) return NONE;
    for (const child of named) {
      if (!namespaces.includes(child.namespace)) return named.filter((one) => namespaces.includes(one.namespace));
    }
    return named;
  }

  /** The first such child element. */
  first(namespaces: readonly (string | undefined)[], local: string): XmlElement | undefined {
    for (const child of this.named().get(local) ?? NONE) if (namespaces.includes(child.namespace)) return child;
    return undefined;
  }

  /** The element's own character data (text and CDATA), ignoring what its child elements hold. */
  text(): string {
    const { children } = this;
    if (children.length === 1 && typeof children[0] === 'string') return children[0];
    let text = '';
    for (const child of children) if (typeof child === 'string') text += child;
    return text;
  }

  /** The text of the element and of everything inside it, in document order. */
  deepText(): string {
    return this.children.map((child) => (typeof child === 'string' ? child : child.deepText())).join('');
  }

  private named(): ReadonlyMap<string, readonly XmlElement[]> {
    if (this.byLocal) return this.byLocal;
    const byLocal = new Map<string, XmlElement[]>();
    for (const child of this.elements()) {
      const same = byLocal.get(child.local);
      if (same) same.push(child);
      else byLocal.set(child.local, [child]);
    }
    return (this.byLocal = byLocal);
  }
}

const NONE: readonly XmlElement[] = Object.freeze([]);

/** A document that is not well-formed XML, or that this reader refuses (an entity expanding beyond bounds). */
export class XmlSyntaxError extends FeedrelayError {
  readonly code = 'parse_error';

  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} (line ${line}, column ${column})`);
    this.name = 'XmlSyntaxError';
  }
}

/** How far an internal DTD entity may expand: each one, and all references in the document together. */
const MAX_ENTITY_LENGTH = 16 * 1024;
const MAX_EXPANDED_TOTAL = 1024 * 1024;

/**
 * The general entities an internal DTD subset declares (`<!ENTITY name "value">`), with character and entity
 * references in their values expanded. External entities (`SYSTEM`, `PUBLIC`) and parameter entities are not
 * read. A value that would expand beyond `MAX_ENTITY_LENGTH` (a "billion laughs" bomb), or that refers to
 * itself, is refused.
 */
export function internalEntities(doctype: string): Map<string, string> {
  const subset = doctype.match(/\[([\s\S]*)\]/)?.[1] ?? '';
  const declared = new Map<string, string>();
  for (const match of subset.matchAll(/<!ENTITY\s+([^\s%]+)\s+(?:"([^"]*)"|'([^']*)')\s*>/g)) {
    if (!declared.has(match[1]!)) declared.set(match[1]!, match[2] ?? match[3] ?? '');
  }
  const expanded = new Map<string, string>();
  const expanding = new Set<string>();
  const expand = (name: string): string => {
    const done = expanded.get(name);
    if (done !== undefined) return done;
    if (expanding.has(name)) throw new Error(`the entity &${name}; refers to itself`);
    expanding.add(name);
    let value = '';
    for (const part of declared.get(name)!.split(/(&[^\s;&]+;)/)) {
      const reference = part.match(/^&([^\s;&]+);$/)?.[1];
      if (reference === undefined) value += part;
      else if (reference.startsWith('#')) value += characterOf(reference) ?? part;
      else if (declared.has(reference)) value += expand(reference);
      else value += XML_PREDEFINED[reference] ?? part;
      if (value.length > MAX_ENTITY_LENGTH) {
        throw new Error(`the entity &${name}; expands beyond ${MAX_ENTITY_LENGTH} characters`);
      }
    }
    expanding.delete(name);
    expanded.set(name, value);
    return value;
  };
  for (const name of declared.keys()) expand(name);
  return expanded;
}

const XML_PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function characterOf(reference: string): string | undefined {
  const code = /^#x/i.test(reference) ? parseInt(reference.slice(2), 16) : Number(reference.slice(1));
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

interface Scope {
  readonly element: XmlElement;
  readonly namespaces: ReadonlyMap<string, string>;
}

const localOf = (name: string): string => name.slice(name.indexOf(':') + 1);
const NO_NAMESPACES: ReadonlyMap<string, string> = new Map();

/** The namespace of a prefix (`undefined`: the default namespace) where `namespaces` are in scope. */
function resolveIn(namespaces: ReadonlyMap<string, string>, prefix: string | undefined): string | undefined {
  if (prefix === undefined) return namespaces.get('') || undefined;
  return namespaces.get(prefix) ?? CONVENTIONAL_PREFIXES[prefix.toLowerCase()];
}
const prefixOf = (name: string): string | undefined => (name.includes(':') ? name.split(':')[0] : undefined);
const canonical = (uri: string): string => NAMESPACE_ALIASES[uri.toLowerCase()] ?? uri;

/**
 * Reads a whole XML document into a tree of `XmlElement`s with sax, strictly: the first well-formedness error
 * throws an `XmlSyntaxError` naming it and its position. Namespaces are resolved (an undeclared prefix that
 * feeds conventionally use, such as `dc:` or `media:`, means its usual namespace); `xml:base` is resolved
 * against `documentUrl`; entities declared in the internal DTD subset are expanded within bounds; external
 * entities are never fetched (a reference to one is an error, as is any undeclared entity outside HTML's).
 */
export function readXmlDocument(text: string, documentUrl?: string): XmlElement {
  const parser = sax.parser(true, { trim: false, normalize: false, position: true });
  const stack: Scope[] = [];
  let root: XmlElement | undefined;
  let failure: XmlSyntaxError | undefined;
  let expandedTotal = 0;
  /** Stops reading at the first problem: sax passes what an event handler throws out of `write`. */
  const fail = (reason: string): never => {
    failure ??= new XmlSyntaxError(reason, parser.line + 1, parser.column + 1);
    throw failure;
  };

  parser.onerror = (error) => fail(error.message.split('\n')[0]!);
  parser.ondoctype = (doctype) => {
    let entities: Map<string, string>;
    try {
      entities = internalEntities(doctype);
    } catch (error) {
      return fail((error as Error).message);
    }
    // Each lookup counts: a reference may be looked up more than once, which only makes the bound stricter.
    for (const [name, value] of entities) {
      Object.defineProperty(parser.ENTITIES, name, {
        enumerable: true,
        get: () => {
          expandedTotal += value.length;
          if (expandedTotal > MAX_EXPANDED_TOTAL) {
            fail(`internal entities expand beyond ${MAX_EXPANDED_TOTAL} characters in all`);
          }
          return value;
        },
      });
    }
  };
  parser.onopentag = (tag) => {
    const parent = stack[stack.length - 1];
    const written = tag.attributes as Record<string, string>;
    let namespaces = parent?.namespaces ?? NO_NAMESPACES;
    let declared: Map<string, string> | undefined;
    for (const name in written) {
      if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
      declared ??= new Map(namespaces);
      declared.set(name === 'xmlns' ? '' : localOf(name), canonical(written[name]!.trim()));
    }
    if (declared) namespaces = declared;
    const attributes: XmlAttribute[] = [];
    let xmlBase: string | undefined;
    let xmlLang: string | undefined;
    for (const name in written) {
      const value = written[name]!;
      const colon = name.indexOf(':');
      if (colon < 0) {
        attributes.push({ name, local: name, value });
        continue;
      }
      const prefix = name.slice(0, colon);
      const namespace = prefix === 'xmlns' ? undefined : resolveIn(namespaces, prefix);
      const local = name.slice(colon + 1);
      attributes.push(namespace === undefined ? { name, local, value } : { name, local, namespace, value });
      if (name === 'xml:base') xmlBase ??= value;
      else if (name === 'xml:lang') xmlLang ??= value;
    }
    const element = new XmlElement(
      tag.name,
      localOf(tag.name),
      resolveIn(namespaces, prefixOf(tag.name)),
      attributes,
      xmlBase === undefined && parent
        ? parent.element.base
        : nestedBase(parent ? parent.element.base : documentUrl, xmlBase),
      xmlLang ?? parent?.element.lang,
      { line: parser.line + 1, column: parser.column + 1 },
    );
    if (parent) parent.element.children.push(element);
    else root ??= element;
    stack.push({ element, namespaces });
  };
  parser.onclosetag = () => {
    stack.pop();
  };
  const onText = (chunk: string): void => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) return;
    const children = parent.element.children;
    const last = children.length - 1;
    if (last >= 0 && typeof children[last] === 'string') children[last] += chunk;
    else children.push(chunk);
  };
  parser.ontext = onText;
  parser.oncdata = onText;

  try {
    parser.write(text).close();
  } catch (error) {
    if (failure) throw failure;
    throw new XmlSyntaxError((error as Error).message.split('\n')[0]!, parser.line + 1, parser.column + 1);
  }
  if (root === undefined) throw new XmlSyntaxError('no root element', parser.line + 1, parser.column + 1);
  return root;
}
