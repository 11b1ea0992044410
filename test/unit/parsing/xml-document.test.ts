import { describe, expect, it } from '@jest/globals';
import {
  internalEntities,
  NS,
  readXmlDocument,
  XmlSyntaxError,
  type XmlElement,
} from '../../../src/adapters/parsing/xml-document.js';

describe('readXmlDocument', () => {
  it('keeps elements and text in document order, CDATA included', () => {
    // Prepare
    const xml = '<p>one <b>two</b> three<![CDATA[ <four> ]]><i/></p>';

    // Act
    const root = readXmlDocument(xml);

    // Assess
    expect(root.children.map((child) => (typeof child === 'string' ? child : `<${child.name}>`))).toEqual([
      'one ',
      '<b>',
      ' three <four> ',
      '<i>',
    ]);
    expect(root.text()).toBe('one  three <four> ');
    expect(root.deepText()).toBe('one two three <four> ');
  });

  it('resolves namespaces by declaration, in scope, and conventional prefixes left undeclared', () => {
    // Prepare
    const xml = `<root xmlns="urn:default" xmlns:x="urn:x">
      <x:a x:attr="1" plain="2"><b xmlns="urn:inner"/></x:a><c/><dc:creator>Ann</dc:creator>
      <media:title xmlns:media="http://search.yahoo.com/mrss">t</media:title></root>`;

    // Act
    const root = readXmlDocument(xml);
    const [a, c, creator, title] = root.elements();

    // Assess
    expect(root.namespace).toBe('urn:default');
    expect([a?.local, a?.namespace, a?.attribute('attr', 'urn:x'), a?.attribute('plain')]).toEqual([
      'a',
      'urn:x',
      '1',
      '2',
    ]);
    expect(a?.elements()[0]?.namespace).toBe('urn:inner');
    expect(c?.namespace).toBe('urn:default');
    expect(creator?.namespace).toBe(NS.dc);
    expect(title?.namespace).toBe(NS.media);
  });

  it('gives each element its effective xml:base, resolved against the document URL, and its xml:lang', () => {
    // Prepare
    const xml = '<a xml:base="/x/" xml:lang="fr"><b xml:base="y/"><c xml:lang="de"/></b></a>';

    // Act
    const root = readXmlDocument(xml, 'https://example.org/feed.xml');
    const b = root.elements()[0] as XmlElement;
    const c = b.elements()[0] as XmlElement;

    // Assess
    expect([root.base, b.base, c.base]).toEqual([
      'https://example.org/x/',
      'https://example.org/x/y/',
      'https://example.org/x/y/',
    ]);
    expect([root.lang, b.lang, c.lang]).toEqual(['fr', 'fr', 'de']);
  });

  it('throws an XmlSyntaxError naming the first problem and where it is', () => {
    // Act
    const reading = (): unknown => readXmlDocument('<a>\n  <b></a>');

    // Assess
    expect(reading).toThrow(XmlSyntaxError);
    expect(reading).toThrow(/^Unexpected close tag \(line 2, column \d+\)$/);
  });

  it('refuses an entity the document does not declare, such as an external one', () => {
    // Act
    const reading = (): unknown => readXmlDocument('<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>');

    // Assess
    expect(reading).toThrow(/Invalid character entity/);
  });
});

describe('internalEntities', () => {
  it('reads general entities with their references expanded, and leaves parameter and external ones out', () => {
    // Act
    const entities = internalEntities(
      `<!DOCTYPE rss [<!ENTITY % p "no"><!ENTITY ext SYSTEM "x.dtd"><!ENTITY a "A&#x26;&b;"><!ENTITY b 'B&lt;'>]`,
    );

    // Assess
    expect(Object.fromEntries(entities)).toEqual({ a: 'A&B<', b: 'B<' });
  });
});
