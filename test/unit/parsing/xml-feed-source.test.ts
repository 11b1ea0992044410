import { describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { XmlFeedSource } from '../../../src/adapters/parsing/xml-feed-source.js';
import { createFeedParser } from '../../../src/adapters/parsing/sniffing-feed-parser.js';
import { identifyArticles } from '../../../src/domain/article.js';

const source = new XmlFeedSource();
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const rss2 = (items: string, channel = ''): string =>
  `<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:atom="http://www.w3.org/2005/Atom" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
  <channel><title>Channel</title><link>https://example.org/</link>${channel}${items}</channel>
</rss>`;

const atom10 = (entries: string, feed = ''): string =>
  `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">${feed}${entries}</feed>`;

describe('XmlFeedSource', () => {
  it('recognizes RSS, RDF and Atom roots behind declarations, comments and doctypes', () => {
    // Prepare
    const documents = [
      '<?xml version="1.0"?>\n<!-- c --><rss version="2.0"/>',
      '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd"><rss version="0.91"/>',
      '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
      '<?xml-stylesheet href="a.xsl"?><feed xmlns="http://www.w3.org/2005/Atom"/>',
    ];

    // Act
    const recognized = documents.map((text) => source.recognizes(text));

    // Assess
    expect(recognized).toEqual([true, true, true, true]);
    expect(source.recognizes('<html><body/></html>')).toBe(false);
    expect(source.recognizes('{"version":"https://jsonfeed.org/version/1.1"}')).toBe(false);
  });

  it('normalizes an RSS 2.0 channel and its items', () => {
    // Prepare
    const xml = rss2(
      `<item>
         <title>  First  </title>
         <link>https://example.org/1</link>
         <guid isPermaLink="false">id-1</guid>
         <pubDate>Tue, 10 Jun 2003 04:00:00 EDT</pubDate>
         <description>&lt;p&gt;Summary&lt;/p&gt;</description>
         <content:encoded><![CDATA[<p>Full <b>text</b></p>]]></content:encoded>
         <author>jane@example.org (Jane Doe)</author>
         <category> News </category><category>News</category><category domain="x">Tech</category>
         <enclosure url="https://example.org/a.mp3" length="1234" type="audio/mpeg"/>
       </item>`,
      `<description>About</description><language>en-us</language><lastBuildDate>Tue, 10 Jun 2003 09:41:01 GMT</lastBuildDate>`,
    );

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.feed).toEqual({
      title: 'Channel',
      link: 'https://example.org/',
      description: 'About',
      language: 'en-us',
      updated: '2003-06-10T09:41:01.000Z',
    });
    expect(parsed.items).toEqual([
      {
        guid: 'id-1',
        title: 'First',
        link: 'https://example.org/1',
        published: '2003-06-10T08:00:00.000Z',
        summary: '<p>Summary</p>',
        content: '<p>Full <b>text</b></p>',
        authors: [{ name: 'Jane Doe', email: 'jane@example.org' }],
        categories: ['News', 'Tech'],
        enclosures: [{ url: 'https://example.org/a.mp3', type: 'audio/mpeg', length: '1234' }],
      },
    ]);
  });

  it.each([
    ['jane@example.org (Jane Doe)', { name: 'Jane Doe', email: 'jane@example.org' }],
    ['Jane Doe (jane@example.org)', { name: 'Jane Doe', email: 'jane@example.org' }],
    ['Jane Doe <jane@example.org>', { name: 'Jane Doe', email: 'jane@example.org' }],
    ['jane@example.org', { email: 'jane@example.org' }],
    ['Jane Doe', { name: 'Jane Doe' }],
  ])('reads the author %j', (written, author) => {
    // Prepare
    const xml = rss2(`<item><title>t</title><author>${written.replace(/</g, '&lt;')}</author></item>`);

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.items[0]?.authors).toEqual([author]);
  });

  it('reads the schedule an RSS 2.0 channel declares: ttl, skipHours and skipDays', () => {
    // Prepare
    const xml = rss2(
      '<item><title>a</title></item>',
      `<ttl>60</ttl>
       <skipHours><hour>23</hour><hour>0</hour><hour>24</hour><hour>nine</hour><hour>1</hour></skipHours>
       <skipDays><day>Saturday</day><day>sunday</day><day>Caturday</day></skipDays>`,
    );

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.schedule).toEqual({ ttlMinutes: 60, skipHours: [0, 1, 23], skipDays: [0, 6] });
  });

  it('declares no schedule for a channel without ttl and skips, or with unreadable ones', () => {
    expect(source.parse(rss2('<item><title>a</title></item>')).schedule).toBeUndefined();
    expect(source.parse(rss2('', '<ttl>soon</ttl><skipHours/>')).schedule).toBeUndefined();
  });

  it('falls back to dc:creator, dc:date and dc:subject', () => {
    // Prepare
    const xml = rss2(
      `<item><title>t</title><dc:creator>Ann</dc:creator><dc:creator>Bob</dc:creator>
       <dc:date>2017-06-15T10:29:47-07:00</dc:date><dc:subject>Science</dc:subject></item>`,
    );

    // Act
    const [item] = source.parse(xml).items;

    // Assess
    expect(item).toEqual({
      title: 't',
      published: '2017-06-15T17:29:47.000Z',
      updated: '2017-06-15T17:29:47.000Z',
      authors: [{ name: 'Ann' }, { name: 'Bob' }],
      categories: ['Science'],
    });
  });

  it('reads RSS 0.91, RSS 1.0 (RDF) and Atom 0.3 documents', () => {
    // Prepare
    const rss091 = `<rss version="0.91"><channel><title>Old</title><item><title>A</title><link>http://a.example/</link></item></channel></rss>`;
    const rdf = `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="http://b.example/"><title>RDF</title><link>http://b.example/</link></channel>
      <item rdf:about="http://b.example/1"><title>B</title><link>http://b.example/1</link><dc:date>2004-01-01</dc:date></item>
    </rdf:RDF>`;
    const atom03 = `<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Atom 0.3</title>
      <link rel="alternate" type="text/html" href="http://c.example/"/><modified>2004-01-01T00:00:00Z</modified>
      <entry><title>C</title><id>tag:c,1</id><issued>2003-12-31T10:00:00Z</issued><modified>2004-01-01T00:00:00Z</modified>
      <link rel="alternate" href="http://c.example/1"/><summary>S</summary><content mode="escaped">&lt;b&gt;C&lt;/b&gt;</content></entry></feed>`;

    // Act
    const [a, b, c] = [rss091, rdf, atom03].map((xml) => source.parse(xml));

    // Assess
    expect(a).toEqual({ feed: { title: 'Old' }, items: [{ title: 'A', link: 'http://a.example/' }] });
    expect(b).toEqual({
      feed: { title: 'RDF', link: 'http://b.example/' },
      items: [
        {
          guid: 'http://b.example/1',
          title: 'B',
          link: 'http://b.example/1',
          published: '2004-01-01T00:00:00.000Z',
          updated: '2004-01-01T00:00:00.000Z',
        },
      ],
    });
    expect(c).toEqual({
      feed: { title: 'Atom 0.3', link: 'http://c.example/', updated: '2004-01-01T00:00:00.000Z' },
      items: [
        {
          guid: 'tag:c,1',
          title: 'C',
          link: 'http://c.example/1',
          published: '2003-12-31T10:00:00.000Z',
          updated: '2004-01-01T00:00:00.000Z',
          summary: 'S',
          content: '<b>C</b>',
        },
      ],
    });
  });

  it('normalizes an Atom 1.0 feed: alternate links, persons, terms, enclosures and XHTML content', () => {
    // Prepare
    const xml = atom10(
      `<entry>
         <id>urn:1</id><title type="html">A &amp;amp; B</title>
         <link rel="self" href="https://example.org/1.atom"/>
         <link rel="enclosure" href="https://example.org/1.mp3" type="audio/mpeg" length="99"/>
         <link href="https://example.org/1"/>
         <published>2005-07-31T12:29:29Z</published><updated>2005-08-01T00:00:00+02:00</updated>
         <author><name>Mark</name><email>mark@example.org</email></author>
         <category term="t1" label="Label 1"/><category term="t2"/>
         <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi <em>there</em></p></div></content>
       </entry>
       <entry><id>urn:2</id><title>Inherits</title><summary type="text">Short</summary></entry>`,
      `<title>Feed</title><subtitle>Sub</subtitle><updated>2005-08-01T00:00:00Z</updated>
       <link rel="self" href="https://example.org/feed.atom"/><link rel="alternate" type="text/html" href="https://example.org/"/>
       <author><name>Feed Author</name></author>`,
    );

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.feed).toEqual({
      title: 'Feed',
      link: 'https://example.org/',
      description: 'Sub',
      language: 'en',
      updated: '2005-08-01T00:00:00.000Z',
    });
    expect(parsed.items).toEqual([
      {
        guid: 'urn:1',
        title: 'A &amp; B',
        link: 'https://example.org/1',
        published: '2005-07-31T12:29:29.000Z',
        updated: '2005-07-31T22:00:00.000Z',
        content: '<p>Hi <em>there</em></p>',
        authors: [{ name: 'Mark', email: 'mark@example.org' }],
        categories: ['t1', 't2'],
        enclosures: [{ url: 'https://example.org/1.mp3', type: 'audio/mpeg', length: '99' }],
      },
      { guid: 'urn:2', title: 'Inherits', summary: 'Short', authors: [{ name: 'Feed Author' }] },
    ]);
  });

  it('resolves relative links against xml:base, feed- and entry-level, and the document URL', () => {
    // Prepare
    const xml = `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/">
      <link href="index.html"/>
      <entry><link href="one.html"/></entry>
      <entry xml:base="https://cdn.example.net/x/"><link href="two.html"/></entry>
      <entry xml:base="sub/"><link href="three.html"/></entry>
    </feed>`;
    const rssXml = rss2('<item><link>/posts/4</link></item>');

    // Act
    const parsed = source.parse(xml, 'https://example.org/feeds/atom.xml');
    const parsedRss = source.parse(rssXml, 'https://example.org/feed.xml');

    // Assess
    expect(parsed.feed.link).toBe('https://example.org/blog/index.html');
    expect(parsed.items.map((item) => item.link)).toEqual([
      'https://example.org/blog/one.html',
      'https://cdn.example.net/x/two.html',
      'https://example.org/blog/sub/three.html',
    ]);
    expect(parsedRss.items[0]?.link).toBe('https://example.org/posts/4');
  });

  it('keeps an Atom feed whose dates cannot be read, leaving only those fields empty', () => {
    // Prepare
    const xml = atom10(
      `<entry><id>urn:1</id><title>Bad published</title><published>yesterday-ish</published></entry>
       <entry><id>urn:2</id><title>Bad updated</title><published>2020-01-02T03:04:05Z</published><updated>31/31/2020</updated></entry>`,
      '<title>Feed</title><updated>never</updated>',
    );

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.feed).toEqual({ title: 'Feed', language: 'en' });
    expect(parsed.items).toEqual([
      { guid: 'urn:1', title: 'Bad published' },
      { guid: 'urn:2', title: 'Bad updated', published: '2020-01-02T03:04:05.000Z' },
    ]);
  });

  it('keeps an item whose RSS date cannot be read, without that date', () => {
    // Prepare
    const xml = rss2('<item><title>t</title><pubDate>Someday, maybe</pubDate></item>');

    // Act
    const parsed = source.parse(xml);

    // Assess
    expect(parsed.items).toEqual([{ title: 't' }]);
  });

  it('takes the last of several RSS links, text or alternate href, never a self link', () => {
    // Prepare
    const xml = rss2(
      '<item><title>A</title><link>https://example.org/a</link><link href="https://example.org/b"/></item>' +
        '<item><title>B</title><link>https://example.org/c</link><link rel="self" href="https://example.org/self"/></item>',
    );

    // Act
    const items = source.parse(xml).items;

    // Assess
    expect(items.map((item) => item.link)).toEqual(['https://example.org/b', 'https://example.org/c']);
  });

  it('parses items without guids, which still get distinct identities', () => {
    // Prepare
    const xml = rss2('<item><title>One</title></item><item><title>Two</title></item><item><title>One</title></item>');

    // Act
    const items = source.parse(xml).items;
    const ids = identifyArticles(items).map((article) => article.id);

    // Assess
    expect(items.map((item) => item.guid)).toEqual([undefined, undefined, undefined]);
    expect(new Set(ids).size).toBe(3);
  });

  it('reads elements named __proto__ and constructor without polluting prototypes', () => {
    // Prepare
    const xml = rss2(
      `<item><title>t</title><__proto__><polluted>yes</polluted></__proto__><constructor>c</constructor>
       <category>__proto__</category><author>constructor</author></item>`,
      '<__proto__><polluted>yes</polluted></__proto__><constructor><prototype>x</prototype></constructor>',
    );
    const atomXml = atom10('<entry><__proto__ polluted="yes"/><constructor/><title>t</title></entry>', '<__proto__/>');

    // Act
    const parsed = source.parse(xml);
    const parsedAtom = source.parse(atomXml);

    // Assess
    expect(parsed.items).toEqual([{ title: 't', authors: [{ name: 'constructor' }], categories: ['__proto__'] }]);
    expect(parsedAtom.items).toEqual([{ title: 't' }]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('refuses a billion-laughs entity bomb before expanding it (its time and memory: npm run bench:hostile)', () => {
    // Prepare
    const levels = Array.from({ length: 9 }, (_, index) => {
      const previous = index === 0 ? 'lol' : `lol${index}`;
      return `<!ENTITY lol${index + 1} "${`&${previous};`.repeat(10)}">`;
    });
    const xml = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${levels.join('')}]>
      <rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item></channel></rss>`;

    // Act
    const result = createFeedParser().parse({ bytes: bytes(xml) });

    // Assess
    expect(JSON.stringify(result)).not.toContain('lollol');
    expect(result).toMatchObject({ ok: false, code: 'parse_error' });
    expect(JSON.stringify(result)).toMatch(/the entity &lol\d; expands beyond 16384 characters/);
    expect(JSON.stringify(result)).not.toContain('lollol');
  });

  it('does not read external entities', () => {
    // Prepare
    const xml = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
      <rss version="2.0"><channel><title>&xxe;</title><item><title>x&xxe;</title></item></channel></rss>`;

    // Act
    const result = createFeedParser().parse({ bytes: bytes(xml) });

    // Assess
    expect(JSON.stringify(result)).not.toMatch(/root:|nologin|\/bin\//);
    expect(result.ok).toBe(false);
  });

  it('reads a large body of unclosed markup in linear time', () => {
    // Prepare
    const body = 'a<p '.repeat(50_000);
    const xml = rss2(
      `<item><title>t</title><description><![CDATA[${body}]]></description><content:encoded><![CDATA[${body}]]></content:encoded></item>`,
    );
    const atomXml = atom10(`<entry><title>t</title><content type="html"><![CDATA[${body}]]></content></entry>`);
    const started = performance.now();

    // Act
    const parsed = source.parse(xml);
    const parsedAtom = source.parse(atomXml);

    // Assess
    expect(performance.now() - started).toBeLessThan(2000);
    expect(parsed.items[0]?.summary).toHaveLength(body.trim().length);
    expect(parsedAtom.items[0]?.content).toHaveLength(body.trim().length);
  });

  it('throws, naming the problem and its position, on truncated XML', () => {
    // Prepare
    const xml = '<rss version="2.0"><channel><title>Cut';

    // Act
    const parsing = (): unknown => source.parse(xml);

    // Assess
    expect(parsing).toThrow(/invalid feed XML: .*line 1/);
  });

  it('throws a plain message for RSS without a channel', () => {
    // Act
    const parsing = (): unknown => source.parse('<rss version="2.0"><item/></rss>');

    // Assess
    expect(parsing).toThrow('the <rss> element has no <channel>');
  });

  it('survives empty and attribute-only elements', () => {
    // Prepare
    const xml = atom10(
      '<entry/><entry><link/><author/><title/><content src="https://x.example/c"/></entry>',
      '<link>bare</link><title/>',
    );
    const rssXml = rss2('<item/><item><enclosure/><guid/><pubDate/><category/></item>', '<image/><atom:link/>');

    // Act
    const parsed = source.parse(xml);
    const parsedRss = source.parse(rssXml);

    // Assess
    expect(parsed.items).toEqual([{}, {}]);
    expect(parsedRss.items).toEqual([{}, {}]);
  });
});
