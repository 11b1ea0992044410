import { clean } from './normalize.js';
import { NS, type XmlElement, type XmlNode } from './xml-document.js';

/** Namespaces whose elements are written by their local name: HTML's own, and the two HTML embeds. */
const HTML_NAMESPACES: readonly string[] = [NS.xhtml, NS.mathml, NS.svg];

/** HTML elements without content, written `<br/>`; other empty HTML elements are written `<p></p>`. */
const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

const escapeText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (text: string): string => escapeText(text).replace(/"/g, '&quot;');

/**
 * Markup for a node, in document order. XHTML, MathML and SVG elements are written as HTML embeds them: by
 * their local name, without namespace declarations, MathML and SVG roots with their `xmlns`.
 */
function markupOf(node: XmlNode, parentNamespace: string | undefined): string {
  if (typeof node === 'string') return escapeText(node);
  const namespace = node.namespace;
  const html = namespace !== undefined && HTML_NAMESPACES.includes(namespace);
  const name = html ? node.local : node.name;
  let attributes = node.attributes
    .filter((attribute) => !html || !(attribute.name === 'xmlns' || attribute.name.startsWith('xmlns:')))
    .map((attribute) => ` ${attribute.name}="${escapeAttribute(attribute.value)}"`)
    .join('');
  if ((namespace === NS.mathml || namespace === NS.svg) && parentNamespace !== namespace) {
    attributes = ` xmlns="${namespace}"${attributes}`;
  }
  const inner = node.children.map((child) => markupOf(child, namespace)).join('');
  if (inner !== '') return `<${name}${attributes}>${inner}</${name}>`;
  return namespace === NS.xhtml && !VOID_ELEMENTS.has(name)
    ? `<${name}${attributes}></${name}>`
    : `<${name}${attributes}/>`;
}

/** Markup for what an element holds, in document order. */
export function innerMarkupOf(element: XmlElement): string {
  return element.children.map((child) => markupOf(child, element.namespace)).join('');
}

/** Whether an element is Atom 0.3's base64 text construct (`mode="base64"`). */
const isBase64 = (element: XmlElement): boolean => element.attribute('mode')?.toLowerCase() === 'base64';

function decodeBase64(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) return undefined;
  return clean(Buffer.from(compact, 'base64').toString('utf8'));
}

/** The wrapper `<div>` of an Atom `xhtml` construct, when it is all the element holds. */
function xhtmlWrapper(element: XmlElement): XmlElement | undefined {
  if (element.attribute('type')?.toLowerCase() !== 'xhtml') return undefined;
  const [only, ...others] = element.elements();
  const loose = element.children.some((child) => typeof child === 'string' && child.trim() !== '');
  return only !== undefined && others.length === 0 && !loose && only.local === 'div' ? only : undefined;
}

/**
 * The body of an element (RSS `description`, Atom `content`): its text, base64-decoded for Atom 0.3's
 * `mode="base64"`; or the markup inside it, in document order; for Atom `xhtml`, what its `<div>` holds.
 */
export function bodyOf(element: XmlElement | undefined): string | undefined {
  if (element === undefined) return undefined;
  if (isBase64(element)) return decodeBase64(element.text());
  if (element.elements().length === 0) return clean(element.text());
  const wrapper = xhtmlWrapper(element);
  return clean(innerMarkupOf(wrapper ?? element));
}

/**
 * The text of an element that should be plain (a title, an Atom subtitle): its own text, base64-decoded for
 * `mode="base64"`; when it holds markup (an Atom `xhtml` title), the text of everything inside, in order.
 */
export function plainTextOf(element: XmlElement | undefined): string | undefined {
  if (element === undefined) return undefined;
  if (isBase64(element)) return decodeBase64(element.text());
  if (element.elements().length === 0) return clean(element.text());
  return clean(element.deepText().replace(/\s+/g, ' '));
}
