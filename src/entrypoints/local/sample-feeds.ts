import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A feed served by the sample server: its format and how many items it carries. */
export interface SampleFeed {
  readonly path: string;
  readonly title: string;
  readonly format: 'rss' | 'atom' | 'json';
  items: number;
}

const escape = (s: string) => s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
const BASE_TIME = Date.parse('2026-11-01T08:00:00Z');

function itemDate(n: number): Date {
  return new Date(BASE_TIME + n * 3_600_000);
}

function render(feed: SampleFeed, origin: string): { body: string; type: string } {
  const link = `${origin}${feed.path}`;
  const numbers = Array.from({ length: feed.items }, (_, i) => feed.items - i);
  if (feed.format === 'json') {
    return {
      type: 'application/feed+json',
      body: JSON.stringify({
        version: 'https://jsonfeed.org/version/1.1',
        title: feed.title,
        home_page_url: origin,
        feed_url: link,
        items: numbers.map((n) => ({
          id: `${link}#${n}`,
          url: `${origin}/posts/${feed.format}/${n}`,
          title: `${feed.title}: post ${n}`,
          content_html: `<p>Post ${n} of ${escape(feed.title)}.</p>`,
          date_published: itemDate(n).toISOString(),
          authors: [{ name: 'Demo Author' }],
          tags: ['demo'],
        })),
      }),
    };
  }
  if (feed.format === 'atom') {
    const entries = numbers.map(
      (n) => `  <entry>
    <id>urn:feedrelay:demo:${feed.path}:${n}</id>
    <title>${escape(feed.title)}: post ${n}</title>
    <link rel="alternate" href="${origin}/posts/atom/${n}"/>
    <updated>${itemDate(n).toISOString()}</updated>
    <author><name>Demo Author</name><email>author@example.org</email></author>
    <category term="demo"/>
    <summary>Post ${n} of ${escape(feed.title)}.</summary>
  </entry>`,
    );
    return {
      type: 'application/atom+xml; charset=utf-8',
      body: `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>${escape(feed.title)}</title>
  <link href="${origin}/"/>
  <id>urn:feedrelay:demo:${feed.path}</id>
  <updated>${itemDate(feed.items).toISOString()}</updated>
${entries.join('\n')}
</feed>`,
    };
  }
  const items = numbers.map(
    (n) => `    <item>
      <guid isPermaLink="false">${feed.path}#${n}</guid>
      <title>${escape(feed.title)}: post ${n}</title>
      <link>${origin}/posts/rss/${n}</link>
      <pubDate>${itemDate(n).toUTCString()}</pubDate>
      <dc:creator>Demo Author</dc:creator>
      <category>demo</category>
      <description>Post ${n} of ${escape(feed.title)}.</description>
    </item>`,
  );
  return {
    type: 'application/rss+xml; charset=utf-8',
    body: `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>${escape(feed.title)}</title>
    <link>${origin}/</link>
    <description>A sample feed served by feedrelay's demo</description>
    <language>en</language>
${items.join('\n')}
  </channel>
</rss>`,
  };
}

/**
 * Serves sample feeds on loopback, like a well-behaved feed server: ETag and Last-Modified on every answer,
 * 304 to a matching conditional GET, so the second crawl of an unchanged feed transfers nothing.
 */
export class SampleFeedServer {
  private readonly server: http.Server;
  readonly requests = { total: 0, notModified: 0 };
  private origin = '';

  constructor(
    readonly feeds: SampleFeed[],
    private readonly delayMs = 0,
  ) {
    this.server = http.createServer((request, response) => {
      this.requests.total++;
      const feed = this.feeds.find((f) => f.path === request.url);
      const answer = () => {
        if (!feed) {
          response.writeHead(404).end();
          return;
        }
        const { body, type } = render(feed, this.origin);
        const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
        const lastModified = itemDate(feed.items).toUTCString();
        if (request.headers['if-none-match'] === etag) {
          this.requests.notModified++;
          response.writeHead(304, { etag, 'last-modified': lastModified }).end();
          return;
        }
        response.writeHead(200, { 'content-type': type, etag, 'last-modified': lastModified }).end(body);
      };
      if (this.delayMs > 0) setTimeout(answer, this.delayMs);
      else answer();
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.origin;
  }

  url(feed: SampleFeed): string {
    return `${this.origin}${feed.path}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
