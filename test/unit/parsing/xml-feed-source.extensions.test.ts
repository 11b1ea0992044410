import { describe, expect, it } from '@jest/globals';
import { XmlFeedSource } from '../../../src/adapters/parsing/xml-feed-source.js';
import { identifyArticles } from '../../../src/domain/article.js';

const source = new XmlFeedSource();
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

const ATOM03 = 'http://purl.org/atom/ns#';
const ATOM10 = 'http://www.w3.org/2005/Atom';

describe('XmlFeedSource reads what long-lived feed parsers read', () => {
  it('decodes Atom 0.3 text constructs written in base64 (mode="base64")', () => {
    // Prepare
    const xml = `<feed version="0.3" xmlns="${ATOM03}">
      <title mode="base64">${base64('Café feed')}</title>
      <tagline type="text/plain" mode="base64">${base64('About the café')}</tagline>
      <entry>
        <title type="text/plain" mode="base64">${base64('Crème brûlée')}</title>
        <summary type="text/html" mode="base64">${base64('<p>A <b>short</b> one</p>')}</summary>
        <content type="text/html" mode="base64">
          ${base64('<p>The whole recipe</p>').replace(/(.{8})/g, '$1\n          ')}
        </content>
      </entry>
    </feed>`;

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.feed).toEqual({ title: 'Café feed', description: 'About the café' });
    expect(parsed.items).toEqual([
      { title: 'Crème brûlée', summary: '<p>A <b>short</b> one</p>', content: '<p>The whole recipe</p>' },
    ]);
  });

  it('reads Atom links given as text instead of href, resolved against xml:base', () => {
    // Prepare
    const xml = `<feed xmlns="${ATOM10}" xml:base="https://example.org/blog/">
      <link>https://example.org/</link>
      <entry><id>urn:1</id><link>posts/1.html</link></entry>
      <entry><id>urn:2</id><link rel="self" href="https://example.org/2.atom"/><link>https://example.org/2</link></entry>
    </feed>`;

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.feed.link).toBe('https://example.org/');
    expect(parsed.items.map((item) => item.link)).toEqual([
      'https://example.org/blog/posts/1.html',
      'https://example.org/2',
    ]);
  });

  it('reads DC terms dates: issued or created as published, modified as updated', () => {
    // Prepare
    const xml = `<rss version="2.0" xmlns:dcterms="http://purl.org/dc/terms/"><channel>
      <dcterms:modified>2024-03-01T12:00:00Z</dcterms:modified>
      <item><title>issued</title><dcterms:issued>2024-01-02T03:04:05Z</dcterms:issued>
        <dcterms:modified>2024-02-02T00:00:00+01:00</dcterms:modified></item>
      <item><title>created</title><dcterms:created>2023-12-31</dcterms:created></item>
    </channel></rss>`;

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.feed.updated).toBe('2024-03-01T12:00:00.000Z');
    expect(parsed.items).toEqual([
      { title: 'issued', published: '2024-01-02T03:04:05.000Z', updated: '2024-02-01T23:00:00.000Z' },
      { title: 'created', published: '2023-12-31T00:00:00.000Z' },
    ]);
  });

  it('falls back to Media RSS and iTunes titles, descriptions and categories', () => {
    // Prepare
    const xml = `<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
        xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Show</title>
      <item><guid>video-1</guid>
        <media:group>
          <media:title>Media title</media:title>
          <media:description>Media description</media:description>
          <media:content url="https://cdn.example/1.mp4" type="video/mp4"><media:category>Film</media:category></media:content>
        </media:group>
      </item>
      <item><guid>episode-2</guid><itunes:title>Episode title</itunes:title><itunes:summary>Episode summary</itunes:summary>
        <itunes:category text="Technology"><itunes:category text="Podcasting"/></itunes:category></item>
      <item><guid>plain-3</guid><title>Own title</title><description>Own description</description>
        <media:title>Not this one</media:title><itunes:summary>Nor this one</itunes:summary></item>
    </channel></rss>`;

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.items).toEqual([
      {
        guid: 'video-1',
        title: 'Media title',
        summary: 'Media description',
        categories: ['Film'],
        enclosures: [{ url: 'https://cdn.example/1.mp4', type: 'video/mp4' }],
      },
      {
        guid: 'episode-2',
        title: 'Episode title',
        summary: 'Episode summary',
        categories: ['Technology', 'Podcasting'],
      },
      { guid: 'plain-3', title: 'Own title', summary: 'Own description' },
    ]);
  });

  it('falls back to Atom elements and an XHTML body inside RSS items', () => {
    // Prepare
    const xml = `<rss version="2.0" xmlns:atom="${ATOM10}" xmlns:xhtml="http://www.w3.org/1999/xhtml"><channel>
      <item><atom:title>Atom title</atom:title><atom:summary type="html">&lt;i&gt;Atom&lt;/i&gt; summary</atom:summary>
        <xhtml:body><xhtml:p>Body <xhtml:em>text</xhtml:em></xhtml:p></xhtml:body></item>
    </channel></rss>`;

    // Act
    const [item] = source.parse(xml).items;

    // Assess
    expect(item).toEqual({
      title: 'Atom title',
      summary: '<i>Atom</i> summary',
      content: '<p>Body <em>text</em></p>',
    });
  });

  it('reads RSS elements written with a namespace prefix or a default namespace, whatever the prefix', () => {
    // Prepare
    const prefixed = `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rss="http://purl.org/rss/1.0/">
      <rss:channel rdf:about="https://example.org/"><rss:title>Prefixed</rss:title><rss:link>https://example.org/</rss:link></rss:channel>
      <odd:item xmlns:odd="http://purl.org/rss/1.0/" rdf:about="https://example.org/1"><odd:title>Odd prefix</odd:title></odd:item>
    </rdf:RDF>`;
    const defaulted = `<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>Defaulted</title>
      <item><title>In a default namespace</title><link>https://example.org/2</link></item></channel></rss>`;

    // Act
    const [fromPrefixed, fromDefaulted] = [prefixed, defaulted].map((xml) => source.parse(xml));

    // Assess
    expect(fromPrefixed).toEqual({
      feed: { title: 'Prefixed', link: 'https://example.org/' },
      items: [{ guid: 'https://example.org/1', title: 'Odd prefix' }],
    });
    expect(fromDefaulted).toEqual({
      feed: { title: 'Defaulted' },
      items: [{ title: 'In a default namespace', link: 'https://example.org/2' }],
    });
  });

  it('expands the entities a document declares in its internal DTD subset', () => {
    // Prepare
    const xml = `<?xml version="1.0"?>
      <!DOCTYPE rss [
        <!ENTITY company "Example &amp; Sons">
        <!ENTITY signature '&company; &#169; 2024'>
        <!ENTITY nbsp "&#160;">
      ]>
      <rss version="2.0"><channel><title>&company;</title>
        <item><title>News&nbsp;from &company;</title><description>&signature;</description></item>
      </channel></rss>`;

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.feed.title).toBe('Example & Sons');
    expect(parsed.items).toEqual([{ title: 'News\u00a0from Example & Sons', summary: 'Example & Sons © 2024' }]);
  });

  it('refuses internal entities that expand beyond bounds, one by one or all together', () => {
    // Prepare
    const kilobyte = 'x'.repeat(1024);
    const huge = `<!DOCTYPE rss [<!ENTITY a "${kilobyte}"><!ENTITY b "${'&a;'.repeat(20)}">]>
      <rss version="2.0"><channel><title>&b;</title></channel></rss>`;
    const many = `<!DOCTYPE rss [<!ENTITY a "${kilobyte.repeat(8)}">]>
      <rss version="2.0"><channel><title>${'&a;'.repeat(200)}</title></channel></rss>`;
    const selfReferring = `<!DOCTYPE rss [<!ENTITY a "&b;"><!ENTITY b "&a;">]><rss version="2.0"><channel/></rss>`;

    // Act
    const attempts = [huge, many, selfReferring].map((xml) => () => source.parse(xml));

    // Assess
    expect(attempts[0]).toThrow(/invalid feed XML: the entity &b; expands beyond 16384 characters/);
    expect(attempts[1]).toThrow(/invalid feed XML: internal entities expand beyond 1048576 characters in all/);
    expect(attempts[2]).toThrow(/invalid feed XML: the entity &\w; refers to itself/);
  });

  it('takes rdf:about as the identity of an RSS 1.0 item without a guid', () => {
    // Prepare
    const xml = `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
      <channel rdf:about="https://example.org/"><title>Same link everywhere</title></channel>
      <item rdf:about="https://example.org/#1"><title>One</title><link>https://example.org/</link></item>
      <item rdf:about="https://example.org/#2"><title>Two</title><link>https://example.org/</link></item>
    </rdf:RDF>`;

    // Act
    const items = source.parse(xml).items;
    const again = source.parse(xml.replace('<title>One</title>', '<title>One, edited</title>')).items;

    // Assess
    expect(items.map((item) => item.guid)).toEqual(['https://example.org/#1', 'https://example.org/#2']);
    expect(identifyArticles(again).map((article) => article.id)).toEqual(
      identifyArticles(items).map((article) => article.id),
    );
  });

  it('resolves links against xml:base at every level: document, channel, item and the link itself', () => {
    // Prepare
    const rss = `<rss version="2.0" xml:base="https://example.org/site/"><channel xml:base="news/">
      <link>index.html</link>
      <item xml:base="2024/"><link>post.html</link><enclosure url="a.mp3" type="audio/mpeg" length="1"/></item>
      <item><link xml:base="https://mirror.example/">post.html</link></item>
    </channel></rss>`;
    const atom = `<feed xmlns="${ATOM10}"><entry xml:base="entries/">
      <link rel="alternate" xml:base="https://cdn.example/x/" href="y.html"/>
      <link rel="enclosure" href="z.mp3" type="audio/mpeg"/></entry></feed>`;

    // Act
    const parsedRss = source.parse(rss, 'https://feeds.example/rss.xml');
    const parsedAtom = source.parse(atom, 'https://example.org/feed.atom');

    // Assess
    expect(parsedRss.feed.link).toBe('https://example.org/site/news/index.html');
    expect(parsedRss.items).toEqual([
      {
        link: 'https://example.org/site/news/2024/post.html',
        enclosures: [{ url: 'https://example.org/site/news/2024/a.mp3', type: 'audio/mpeg', length: '1' }],
      },
      { link: 'https://mirror.example/post.html' },
    ]);
    expect(parsedAtom.items).toEqual([
      {
        link: 'https://cdn.example/x/y.html',
        enclosures: [{ url: 'https://example.org/entries/z.mp3', type: 'audio/mpeg' }],
      },
    ]);
  });

  it('takes the feed language from xml:lang, written as a language tag', () => {
    // Prepare
    const atom = `<feed xmlns="${ATOM10}" xml:lang=" en_GB "><title>t</title></feed>`;
    const rss = `<rss version="2.0" xml:lang="pt-BR"><channel><title>t</title></channel></rss>`;
    const rssWithLanguage = `<rss version="2.0" xml:lang="pt-BR"><channel><language>de_AT</language></channel></rss>`;
    const emptied = `<feed xmlns="${ATOM10}" xml:lang=""><title>t</title></feed>`;

    // Act
    const languages = [atom, rss, rssWithLanguage, emptied].map((xml) => source.parse(xml).feed.language);

    // Assess
    expect(languages).toEqual(['en-GB', 'pt-BR', 'de-AT', undefined]);
  });

  it('keeps XHTML content in document order, MathML and SVG included', () => {
    // Prepare
    const xml = `<feed xmlns="${ATOM10}"><entry><content type="xhtml">
      <xhtml:div xmlns:xhtml="http://www.w3.org/1999/xhtml">Before <xhtml:b>bold</xhtml:b> between
        <m:math xmlns:m="http://www.w3.org/1998/Math/MathML"><m:mi>x</m:mi><m:mo>=</m:mo><m:mn>1</m:mn></m:math>
        after<xhtml:br/><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><circle r="1"/></svg> &amp; the end<xhtml:p/></xhtml:div>
    </content></entry></feed>`;

    // Act
    const [entry] = source.parse(xml).items;

    // Assess
    expect(entry?.content).toBe(
      'Before <b>bold</b> between\n        ' +
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi><mo>=</mo><mn>1</mn></math>\n' +
        '        after<br/><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><circle r="1"/></svg>' +
        ' &amp; the end<p></p>',
    );
  });

  it('reads an Atom category by its term, and by its label only when it has no term', () => {
    // Prepare
    const xml = `<feed xmlns="${ATOM10}"><entry>
      <category term="tech" label="Technology"/><category label="Only a label"/><category term="web"/>
    </entry></feed>`;

    // Act
    const [entry] = source.parse(xml).items;

    // Assess
    expect(entry?.categories).toEqual(['tech', 'Only a label', 'web']);
  });
});
