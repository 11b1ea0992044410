/** Feed documents and the shapes of the normalized document, for the CLI tests. */

export interface Doc {
  feed: { title?: string; link?: string; description?: string; language?: string; updated?: string };
  articles: {
    id: string;
    guid?: string;
    title?: string;
    link?: string;
    published?: string;
    updated?: string;
    summary?: string;
    content?: string;
    authors?: { name?: string; email?: string }[];
    categories?: string[];
    enclosures?: { url: string; type?: string; length?: string }[];
  }[];
}

export interface Fetched extends Doc {
  status: number;
  url: string;
  permanentRedirect?: string;
  etag?: string;
  lastModified?: string;
  notModified: boolean;
}

export const RSS = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Example RSS &amp; more</title>
    <link>https://example.com/</link>
    <description>An RSS 2.0 feed</description>
    <language>en-us</language>
    <item>
      <guid isPermaLink="false">rss-1</guid>
      <title>First post</title>
      <link>https://example.com/posts/1</link>
      <pubDate>Tue, 03 Jun 2025 09:39:21 +0200</pubDate>
      <author>jane@example.com (Jane Doe)</author>
      <category>news</category>
      <category>tech</category>
      <enclosure url="https://example.com/ep1.mp3" type="audio/mpeg" length="12345"/>
      <description>Summary one</description>
    </item>
    <item>
      <guid isPermaLink="false">rss-2</guid>
      <title>Second post</title>
      <link>https://example.com/posts/2</link>
      <pubDate>Wed, 04 Jun 2025 10:00:00 GMT</pubDate>
      <dc:creator>John Roe</dc:creator>
      <description>Summary two</description>
    </item>
  </channel>
</rss>
`;

export const ATOM = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example Atom</title>
  <link rel="alternate" href="https://atom.example.org/"/>
  <link rel="self" href="https://atom.example.org/feed.atom"/>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2025-06-05T12:00:00+02:00</updated>
  <entry>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <title>Atom entry one</title>
    <link rel="alternate" href="https://atom.example.org/1"/>
    <link rel="enclosure" href="https://atom.example.org/1.ogg" type="audio/ogg" length="999"/>
    <published>2025-06-05T10:30:00+02:00</published>
    <updated>2025-06-05T11:00:00+02:00</updated>
    <author><name>Ada Lovelace</name><email>ada@example.org</email></author>
    <category term="science"/>
    <summary>Entry summary</summary>
    <content type="html">&lt;p&gt;Entry content&lt;/p&gt;</content>
  </entry>
  <entry>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6b</id>
    <title>Atom entry two</title>
    <link href="https://atom.example.org/2"/>
    <updated>2025-06-06T00:00:00Z</updated>
  </entry>
</feed>
`;

export const JSON_FEED = JSON.stringify({
  version: 'https://jsonfeed.org/version/1.1',
  title: 'Example JSON',
  home_page_url: 'https://json.example.net/',
  feed_url: 'https://json.example.net/feed.json',
  description: 'A JSON Feed',
  language: 'fr',
  items: [
    {
      id: 'j-1',
      url: 'https://json.example.net/1',
      title: 'JSON item',
      content_html: '<p>hi</p>',
      summary: 'sum',
      date_published: '2025-06-06T08:00:00-05:00',
      date_modified: '2025-06-06T09:00:00-05:00',
      authors: [{ name: 'Grace Hopper' }],
      tags: ['a', 'b'],
      attachments: [{ url: 'https://json.example.net/1.pdf', mime_type: 'application/pdf', size_in_bytes: 2048 }],
    },
    { id: 'j-2', url: 'https://json.example.net/2', content_text: 'second' },
  ],
});

export const HTML = `<!doctype html><html><head><title>Just a page</title></head><body><p>No feed here.</p></body></html>`;

/** RSS 1.0 (RDF). */
export const RDF = `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://rdf.example/">
    <title>RDF feed</title>
    <link>http://rdf.example/</link>
    <description>An RSS 1.0 feed</description>
    <items><rdf:Seq><rdf:li resource="http://rdf.example/1"/></rdf:Seq></items>
  </channel>
  <item rdf:about="http://rdf.example/1">
    <title>RDF item</title>
    <link>http://rdf.example/1</link>
    <dc:date>2025-01-02T03:04:05+01:00</dc:date>
    <dc:creator>R. D. F.</dc:creator>
  </item>
</rdf:RDF>
`;

/** Atom 0.3. */
export const ATOM_03 = `<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Atom 0.3 feed</title>
  <link rel="alternate" type="text/html" href="http://a03.example/"/>
  <modified>2005-07-31T12:29:29Z</modified>
  <entry>
    <title>Old entry</title>
    <link rel="alternate" type="text/html" href="http://a03.example/1"/>
    <id>tag:a03.example,2005:1</id>
    <issued>2005-07-31T14:29:29+02:00</issued>
    <modified>2005-07-31T12:29:29Z</modified>
    <author><name>Mark</name></author>
  </entry>
</feed>
`;

/** ISO-8859-1 bytes, declared in the XML declaration only. */
export const LATIN1 = Buffer.from(
  '<?xml version="1.0" encoding="ISO-8859-1"?>\n<rss version="2.0"><channel><title>Caf\u00e9 cr\u00e8me</title>' +
    '<link>http://latin.example/</link><item><title>\u00c9t\u00e9</title><link>http://latin.example/1</link></item></channel></rss>',
  'latin1',
);

/** Items sharing a guid, items without one (two exact copies), and a date nobody can read. */
export const AWKWARD = `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Awkward</title><link>http://awkward.example/</link>
<item><guid>same</guid><title>One</title><pubDate>not a date at all</pubDate></item>
<item><guid>same</guid><title>Two</title><pubDate>Tue, 03 Jun 2025 09:39:21 GMT</pubDate></item>
<item><title>No guid</title><description>a</description></item>
<item><title>No guid</title><description>a</description></item>
</channel></rss>
`;
