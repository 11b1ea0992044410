import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import type { FetchFailure, FetchRequest, FetchResult } from '../../../src/application/ports/feed-fetcher.port.js';
import type { FeedParser } from '../../../src/application/ports/feed-parser.port.js';
import { Container } from 'inversify';
import { FEED_CONNECTION_IDLE_MS, HttpFeedFetcher } from '../../../src/adapters/http/http-feed-fetcher.js';
import { FEED_PARSER, HTTP_FETCH_OPTIONS, type HttpFetchOptions } from '../../../src/adapters/http/tokens.js';
import { createFeedParser } from '../../../src/adapters/parsing/sniffing-feed-parser.js';
import { FakeFeedParser, rss } from './support/fake-feed-parser.js';
import { closedPort, startHttpServer, startSilentServer, type TestServer } from './support/test-server.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const MiB = 1024 * 1024;
const LOOPBACK = ['127.0.0.0/8'];
const routes = new Map<string, Route>();
const requests: IncomingMessage[] = [];
let server: TestServer;
let base: string;

function route(path: string, handler: Route): string {
  routes.set(path, handler);
  return `${base}${path}`;
}

function feed(body: string, headers: Record<string, string> = {}): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', ...headers });
    res.end(body);
  };
}

function redirect(status: number, location: string): Route {
  return (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };
}

function fetcher(options: HttpFetchOptions = {}, parser: FeedParser = new FakeFeedParser()): HttpFeedFetcher {
  return new HttpFeedFetcher({ allowedNetworks: LOOPBACK, ...options }, parser);
}

function failure(result: FetchResult): FetchFailure {
  if (result.kind !== 'failed') throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result.error;
}

/** Streams `total` bytes of zeros through a compressor and returns the compressed bytes. */
async function bomb(compressor: zlib.Gzip | zlib.BrotliCompress, total: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  compressor.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => compressor.on('end', resolve));
  const zeros = Buffer.alloc(MiB);
  for (let written = 0; written < total; written += zeros.length) {
    if (!compressor.write(zeros)) await new Promise((resolve) => compressor.once('drain', resolve));
  }
  compressor.end();
  await done;
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    requests.push(req);
    const handler = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (handler) handler(req, res);
    else {
      res.writeHead(404);
      res.end('no such route');
    }
  });
  base = server.url;
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  routes.clear();
  requests.length = 0;
});

describe('HttpFeedFetcher', () => {
  describe('fetching a feed', () => {
    it('parses a 200 with the configured parser and reports validators and the final URL', async () => {
      const url = route(
        '/feed.xml',
        feed(rss('Example', 'one', 'two'), { etag: '"v1"', 'last-modified': 'Tue, 01 Oct 2024 10:00:00 GMT' }),
      );
      const parser = new FakeFeedParser();

      const result = await fetcher({}, parser).fetch({ url });

      expect(result).toEqual({
        kind: 'fetched',
        status: 200,
        url,
        etag: '"v1"',
        lastModified: 'Tue, 01 Oct 2024 10:00:00 GMT',
        document: { feed: { title: 'Example' }, items: [{ title: 'one' }, { title: 'two' }] },
      });
      expect(parser.seen).toHaveLength(1);
      expect(parser.seen[0]).toMatchObject({ contentType: 'application/rss+xml; charset=utf-8', url });
      expect(Buffer.from(parser.seen[0]!.bytes).toString()).toBe(rss('Example', 'one', 'two'));
    });

    it('introduces itself and asks for feeds', async () => {
      const url = route('/feed.xml', feed(rss('Example')));

      await fetcher().fetch({ url });

      const headers = requests[0]!.headers;
      expect(headers['user-agent']).toBe('feedrelay/0.1.0 (+https://github.com/feedrelay/feedrelay)');
      expect(headers.accept).toMatch(/^application\/rss\+xml, application\/atom\+xml, application\/feed\+json/);
      expect(headers['accept-encoding']).toBe('gzip, deflate, br');
      expect(headers['if-none-match']).toBeUndefined();
    });

    it.each([
      ['gzip', zlib.gzipSync],
      ['x-gzip', zlib.gzipSync],
      ['deflate', zlib.deflateSync],
      ['deflate', zlib.deflateRawSync],
      ['br', zlib.brotliCompressSync],
    ] as const)('decodes a %s body (%p)', async (encoding, compress) => {
      const document = rss('Compressed', ...Array.from({ length: 200 }, (_, i) => `item ${i}`));
      const url = route('/compressed.xml', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': encoding });
        res.end(compress(Buffer.from(document)));
      });

      const result = await fetcher().fetch({ url });

      expect(result.kind).toBe('fetched');
      expect(result.kind === 'fetched' && result.document.items).toHaveLength(200);
    });

    it('fails with http_error on an encoding it did not ask for', async () => {
      const url = route('/zstd.xml', feed('whatever', { 'content-encoding': 'zstd' }));

      expect(failure(await fetcher().fetch({ url }))).toMatchObject({ code: 'http_error', status: 200 });
    });
  });

  it('resolves from a container through its tokens, with its options validated at construction', async () => {
    const url = route('/feed.xml', feed(rss('Injected', 'a')));
    const container = new Container();
    container.bind(HTTP_FETCH_OPTIONS).toConstantValue({ allowedNetworks: LOOPBACK, timeoutMs: 3000 });
    container.bind(FEED_PARSER).toConstantValue(new FakeFeedParser());
    container.bind(HttpFeedFetcher).toSelf();

    const result = await container.get(HttpFeedFetcher).fetch({ url });

    expect(result).toMatchObject({ kind: 'fetched', document: { items: [{ title: 'a' }] } });
    expect(() => new HttpFeedFetcher({ allowedNetworks: ['10.0.0.0/8', 'intranet'] }, new FakeFeedParser())).toThrow(
      /invalid allowed network "intranet"/,
    );
    expect(() => new HttpFeedFetcher({ timeoutMs: Number('abc') }, new FakeFeedParser())).toThrow(/invalid timeoutMs/);
    expect(() => new HttpFeedFetcher({ maxBytes: 0 }, new FakeFeedParser())).toThrow(/invalid maxBytes 0/);
    expect(() => new HttpFeedFetcher({ maxRedirects: -1 }, new FakeFeedParser())).toThrow(/invalid maxRedirects -1/);
    expect(() => new HttpFeedFetcher({ maxBytesAtOnce: 0 }, new FakeFeedParser())).toThrow(/invalid maxBytesAtOnce 0/);
  });

  it('works with the real parser: a gzipped feed behind an HTML page that advertises it', async () => {
    const document = `<?xml version="1.0"?><rss version="2.0"><channel><title>Real</title><link>https://example.com/</link>
      <item><guid>1</guid><title>First</title><link>https://example.com/1</link></item></channel></rss>`;
    const target = route('/real/feed.xml', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(document));
    });
    const url = route('/real/', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="feed.xml"></head></html>',
      );
    });

    const result = await fetcher({}, createFeedParser()).fetch({ url });

    expect(result).toMatchObject({
      kind: 'fetched',
      url: target,
      document: { feed: { title: 'Real' }, items: [{ guid: '1', title: 'First', link: 'https://example.com/1' }] },
    });
  });

  describe('connections', () => {
    it('fetches the feeds of one host over one connection, and closes it once left idle', async () => {
      // Prepare
      const urls = ['/a.xml', '/b.xml', '/c.xml'].map((path) => route(path, feed(rss('Shared host', path))));
      const shared = fetcher();

      // Act
      const results = [];
      for (const url of urls) results.push(await shared.fetch({ url }));
      const lastAt = Date.now();

      // Assess: one connection, closed by the fetcher FEED_CONNECTION_IDLE_MS after its last request.
      expect(results.map((r) => r.kind)).toEqual(['fetched', 'fetched', 'fetched']);
      const sockets = new Set(requests.map((req) => req.socket));
      expect(sockets.size).toBe(1);
      const [socket] = sockets;
      expect(socket!.destroyed).toBe(false);
      const closedAt = await new Promise<number>((resolve) => socket!.once('close', () => resolve(Date.now())));
      // Well before the server would close it (after 5 s idle).
      expect(closedAt - lastAt).toBeLessThan(FEED_CONNECTION_IDLE_MS + 2500);
    });

    it('fetches feeds at once whose bodies together are more than it holds at once, each of them whole', async () => {
      // Prepare: eight feeds of about 64 KiB, at most 100 KiB of bodies held at once.
      const padding = 'x'.repeat(64 * 1024);
      const urls = Array.from({ length: 8 }, (_, i) => route(`/big-${i}.xml`, feed(rss(`Big ${i} ${padding}`))));
      const budgeted = fetcher({ maxBytesAtOnce: 100 * 1024 });

      // Act
      const results = await Promise.all(urls.map((url) => budgeted.fetch({ url })));

      // Assess
      expect(results.map((r) => r.kind === 'fetched' && r.document.feed.title)).toEqual(
        urls.map((_, i) => `Big ${i} ${padding}`),
      );
    });
  });

  describe('conditional GET', () => {
    it('sends the validators it was given and reports a 304 as not modified', async () => {
      const url = route('/feed.xml', (req, res) => {
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"', 'last-modified': 'Tue, 01 Oct 2024 10:00:00 GMT' });
          res.end();
        } else feed(rss('Example'))(req, res);
      });
      const request: FetchRequest = { url, etag: '"v1"', lastModified: 'Tue, 01 Oct 2024 10:00:00 GMT' };

      const result = await fetcher().fetch(request);

      expect(result).toEqual({
        kind: 'notModified',
        status: 304,
        url,
        etag: '"v1"',
        lastModified: 'Tue, 01 Oct 2024 10:00:00 GMT',
      });
      expect(requests[0]!.headers['if-none-match']).toBe('"v1"');
      expect(requests[0]!.headers['if-modified-since']).toBe('Tue, 01 Oct 2024 10:00:00 GMT');
    });

    it('keeps the validators it sent when a 304 repeats none', async () => {
      const url = route('/bare-304.xml', (_req, res) => {
        res.writeHead(304);
        res.end();
      });

      const result = await fetcher().fetch({ url, etag: 'W/"abc"' });

      expect(result).toEqual({ kind: 'notModified', status: 304, url, etag: 'W/"abc"' });
    });
  });

  describe('redirects', () => {
    it('reports the new URL after a 301', async () => {
      const target = route('/new.xml', feed(rss('Moved')));
      const url = route('/old.xml', redirect(301, '/new.xml'));

      const result = await fetcher().fetch({ url });

      expect(result).toMatchObject({ kind: 'fetched', status: 200, url: target, permanentRedirect: target });
    });

    it('reports the new URL after a 308, also with a 304 at the end', async () => {
      const target = route('/new.xml', (_req, res) => {
        res.writeHead(304, { etag: '"v2"' });
        res.end();
      });
      const url = route('/old.xml', redirect(308, target));

      const result = await fetcher().fetch({ url, etag: '"v2"' });

      expect(result).toEqual({
        kind: 'notModified',
        status: 304,
        url: target,
        permanentRedirect: target,
        etag: '"v2"',
      });
    });

    it.each([302, 303, 307])('follows a %i without reporting a permanent move', async (status) => {
      const target = route('/elsewhere.xml', feed(rss('Temporary')));
      const url = route('/feed.xml', redirect(status, '/elsewhere.xml'));

      const result = await fetcher().fetch({ url });

      expect(result).toMatchObject({ kind: 'fetched', url: target });
      expect(result).not.toHaveProperty('permanentRedirect');
    });

    it('reports where the permanent part of a mixed chain ends', async () => {
      const end = route('/c.xml', feed(rss('End')));
      route('/b.xml', redirect(302, '/c.xml'));
      const permanentThenTemporary = route('/a.xml', redirect(301, '/b.xml'));
      route('/y.xml', redirect(308, '/c.xml'));
      const temporaryThenPermanent = route('/x.xml', redirect(307, '/y.xml'));

      expect(await fetcher().fetch({ url: permanentThenTemporary })).toMatchObject({
        url: end,
        permanentRedirect: `${base}/b.xml`,
      });
      expect(await fetcher().fetch({ url: temporaryThenPermanent })).toMatchObject({
        url: end,
        permanentRedirect: end,
      });
    });

    it('follows up to five redirects', async () => {
      const end = route('/hop5', feed(rss('Far')));
      for (let hop = 0; hop < 5; hop++) route(`/hop${hop}`, redirect(302, `/hop${hop + 1}`));

      expect(await fetcher().fetch({ url: `${base}/hop0` })).toMatchObject({ kind: 'fetched', url: end });
    });

    it('gives up on a chain of six redirects', async () => {
      route('/hop6', feed(rss('Too far')));
      for (let hop = 0; hop < 6; hop++) route(`/hop${hop}`, redirect(302, `/hop${hop + 1}`));

      expect(failure(await fetcher().fetch({ url: `${base}/hop0` }))).toMatchObject({ code: 'too_many_redirects' });
      expect(requests).toHaveLength(6);
    });

    it('gives up on a redirect loop', async () => {
      const url = route('/loop-a', redirect(302, '/loop-b'));
      route('/loop-b', redirect(301, '/loop-a'));

      const result = await fetcher().fetch({ url });

      expect(failure(result).code).toBe('too_many_redirects');
    });

    it('honours a lower redirect limit', async () => {
      route('/hop2', feed(rss('Near')));
      for (let hop = 0; hop < 2; hop++) route(`/hop${hop}`, redirect(302, `/hop${hop + 1}`));

      expect(failure(await fetcher({ maxRedirects: 1 }).fetch({ url: `${base}/hop0` })).code).toBe(
        'too_many_redirects',
      );
    });
  });

  describe('statuses', () => {
    it('reports 429 as rate limited with Retry-After in seconds', async () => {
      const url = route('/busy', (_req, res) => {
        res.writeHead(429, { 'retry-after': '120' });
        res.end();
      });

      expect(failure(await fetcher().fetch({ url }))).toEqual({
        code: 'rate_limited',
        message: expect.any(String),
        status: 429,
        retryAfterSeconds: 120,
        hostWide: true,
      });
    });

    it('reads a Retry-After HTTP-date on a 503', async () => {
      const url = route('/maintenance', (_req, res) => {
        res.writeHead(503, { 'retry-after': new Date(Date.now() + 600_000).toUTCString() });
        res.end();
      });

      const error = failure(await fetcher().fetch({ url }));

      expect(error).toMatchObject({ code: 'rate_limited', status: 503 });
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(598);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(600);
    });

    it('reports a 429 without Retry-After as rate limited, a 503 without it as an HTTP error', async () => {
      const limited = route('/limited', (_req, res) => {
        res.writeHead(429);
        res.end();
      });
      const down = route('/down', (_req, res) => {
        res.writeHead(503);
        res.end();
      });

      const limitedError = failure(await fetcher().fetch({ url: limited }));
      expect(limitedError).toMatchObject({ code: 'rate_limited', status: 429 });
      expect(limitedError).not.toHaveProperty('retryAfterSeconds');
      expect(failure(await fetcher().fetch({ url: down }))).toMatchObject({ code: 'http_error', status: 503 });
    });

    it('says a 429 or a 503 concerns the whole host, and another error status only its feed', async () => {
      const limited = route('/limited', (_req, res) => res.writeHead(429).end());
      const down = route('/down', (_req, res) => res.writeHead(503).end());
      const missing = route('/missing', (_req, res) => res.writeHead(404).end());

      expect(failure(await fetcher().fetch({ url: limited })).hostWide).toBe(true);
      expect(failure(await fetcher().fetch({ url: down })).hostWide).toBe(true);
      expect(failure(await fetcher().fetch({ url: missing })).hostWide).toBeUndefined();
    });

    it('says a refused connection concerns the whole host', async () => {
      const closed = route('/closed', (req) => req.socket.destroy());

      const error = failure(await fetcher().fetch({ url: closed }));

      expect(error).toMatchObject({ code: 'connect_error', hostWide: true });
    });

    it.each<[string, Record<string, string>, number | undefined]>([
      ['Cache-Control max-age', { 'cache-control': 'public, max-age=3600' }, 3600],
      ['Cache-Control s-maxage over max-age', { 'cache-control': 'max-age=60, s-maxage=1800' }, 1800],
      ['Cache-Control no-cache', { 'cache-control': 'no-cache, max-age=3600' }, 0],
      ['Expires less Date', { date: 'Mon, 05 Jan 2026 10:00:00 GMT', expires: 'Mon, 05 Jan 2026 12:00:00 GMT' }, 7200],
      ['an unreadable Expires (already expired)', { expires: '0' }, 0],
      ['nothing', {}, undefined],
    ])('reports how long the answer stays fresh by %s', async (_what, headers, expected) => {
      const url = route('/fresh.xml', feed(rss('Fresh', 'one'), headers));

      const result = await fetcher().fetch({ url });

      expect(result.kind).toBe('fetched');
      expect(result.kind !== 'failed' ? result.freshForSeconds : 'failed').toBe(expected);
    });

    it('reports 410 as gone', async () => {
      const url = route('/gone', (_req, res) => {
        res.writeHead(410);
        res.end('bye');
      });

      expect(failure(await fetcher().fetch({ url }))).toMatchObject({ code: 'gone', status: 410 });
    });

    it.each([404, 500, 401, 300])('reports %i as an HTTP error with its status', async (status) => {
      const url = route('/status', (_req, res) => {
        res.writeHead(status);
        res.end();
      });

      expect(failure(await fetcher().fetch({ url }))).toMatchObject({ code: 'http_error', status });
    });
  });

  describe('documents that are not feeds', () => {
    it('reports an HTML page without a feed link as not a feed', async () => {
      const url = route('/page.html', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><html><head><title>Blog</title></head></html>');
      });

      expect(failure(await fetcher().fetch({ url }))).toMatchObject({ code: 'not_a_feed', status: 200 });
    });

    it('follows the feed an HTML page advertises, once', async () => {
      const target = route('/blog/feed.xml', feed(rss('Discovered', 'a'), { etag: '"d1"' }));
      const url = route('/blog/', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><head><link rel="alternate" type="application/rss+xml" href="feed.xml"></head></html>');
      });

      const result = await fetcher().fetch({ url });

      expect(result).toMatchObject({ kind: 'fetched', status: 200, url: target, etag: '"d1"' });
      expect(result).not.toHaveProperty('permanentRedirect');
    });

    it('does not chase a second advertised page', async () => {
      const page =
        (next: string): Route =>
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end(`<html><link rel="alternate" type="application/rss+xml" href="${next}"></html>`);
        };
      const url = route('/p1', page('/p2'));
      route('/p2', page('/p3'));
      route('/p3', feed(rss('Never reached')));

      expect(failure(await fetcher().fetch({ url }))).toMatchObject({ code: 'not_a_feed', status: 200 });
      expect(requests.map((req) => req.url)).toEqual(['/p1', '/p2']);
    });

    it('refuses an advertised feed on a blocked address', async () => {
      const url = route('/page', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><link rel="alternate" type="application/rss+xml" href="http://169.254.169.254/feed"></html>');
      });

      expect(failure(await fetcher().fetch({ url })).code).toBe('blocked_address');
    });

    it('reports a document the parser cannot read as a parse error', async () => {
      const url = route('/broken.xml', feed('<rdf:nonsense'));

      expect(failure(await fetcher().fetch({ url }))).toMatchObject({ code: 'parse_error', status: 200 });
    });
  });

  describe('the network guard', () => {
    it('refuses loopback unless it is allowed', async () => {
      const url = route('/feed.xml', feed(rss('Local')));

      expect(failure(await fetcher({ allowedNetworks: [] }).fetch({ url })).code).toBe('blocked_address');
      expect(requests).toHaveLength(0);
    });

    it('refuses a name resolving to loopback at connect time, unless allowed', async () => {
      route('/feed.xml', feed(rss('Local')));
      const url = `http://localhost:${server.port}/feed.xml`;

      expect(failure(await fetcher({ allowedNetworks: [] }).fetch({ url })).code).toBe('blocked_address');
      expect(requests).toHaveLength(0);
      expect(await fetcher().fetch({ url })).toMatchObject({ kind: 'fetched', status: 200 });
    });

    it.each(['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]'])(
      'refuses the numeric spelling http://%s of loopback',
      async (host) => {
        route('/feed.xml', feed(rss('Local')));

        const result = await fetcher({ allowedNetworks: [] }).fetch({ url: `http://${host}:${server.port}/feed.xml` });

        expect(failure(result).code).toBe('blocked_address');
        expect(requests).toHaveLength(0);
      },
    );

    it.each(['2130706433', '0x7f000001'])('reaches http://%s when loopback is allowed', async (host) => {
      route('/feed.xml', feed(rss('Local')));

      const result = await fetcher().fetch({ url: `http://${host}:${server.port}/feed.xml` });

      expect(result).toMatchObject({ kind: 'fetched', url: `${base}/feed.xml` });
    });

    it.each([
      ['http://169.254.169.254/latest/meta-data/', 'blocked_address'],
      ['http://10.0.0.1/', 'blocked_address'],
      ['http://[::1]/', 'blocked_address'],
      ['http://0xa9fea9fe/', 'blocked_address'],
      ['http://[fd00::1]:8080/', 'blocked_address'],
      ['file:///etc/passwd', 'unsupported_scheme'],
      ['ftp://example.com/feed.xml', 'unsupported_scheme'],
      ['http://exa mple.com/', 'invalid_url'],
    ])('refuses a redirect to %s', async (location, code) => {
      const url = route('/jump', redirect(302, location));

      const result = await fetcher().fetch({ url });

      // A bad Location is the redirect's fault and carries its status; a blocked next hop never got one.
      expect(failure(result)).toEqual(
        code === 'blocked_address'
          ? { code, message: expect.any(String) }
          : { code, message: expect.any(String), status: 302 },
      );
    });

    it('checks names again on every hop', async () => {
      // The first hop reaches an allowed address; the second names loopback, which is not allowed.
      const v6 = await startHttpServerOn('::1');
      try {
        const url = `http://[::1]:${v6.port}/`;
        v6.handle(redirect(302, `http://localhost:${server.port}/feed.xml`));
        route('/feed.xml', feed(rss('Local')));

        const result = await fetcher({ allowedNetworks: ['::1/128'] }).fetch({ url });

        expect(failure(result)).toMatchObject({ code: 'blocked_address' });
        expect(requests).toHaveLength(0);
      } finally {
        await v6.close();
      }
    });

    it.each([
      ['ftp://example.com/feed.xml', 'unsupported_scheme'],
      ['file:///etc/passwd', 'unsupported_scheme'],
      ['not a url', 'invalid_url'],
      ['http://', 'invalid_url'],
    ])('refuses to start with %s', async (url, code) => {
      expect(failure(await fetcher().fetch({ url })).code).toBe(code);
    });
  });

  describe('network failures', () => {
    it('reports a refused connection as connect_error', async () => {
      const port = await closedPort();

      expect(failure(await fetcher().fetch({ url: `http://127.0.0.1:${port}/` })).code).toBe('connect_error');
    });

    it('reports an unresolvable host as dns_error', async () => {
      expect(failure(await fetcher().fetch({ url: 'http://nonexistent.invalid/feed.xml' })).code).toBe('dns_error');
    });

    it('reports a failed TLS handshake as tls_error', async () => {
      const url = route('/feed.xml', feed(rss('Plain')));

      const result = await fetcher().fetch({ url: url.replace('http:', 'https:') });

      expect(failure(result).code).toBe('tls_error');
    });

    it('reports a connection cut in the middle of the body as connect_error', async () => {
      const url = route('/cut', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': '1000' });
        res.write('<rss>');
        setTimeout(() => res.socket?.destroy(), 20);
      });

      expect(failure(await fetcher().fetch({ url }))).toMatchObject({ code: 'connect_error', status: 200 });
    });

    it('reports a malformed response as http_error', async () => {
      const garbage = net.createServer((socket) => {
        socket.on('error', () => undefined);
        socket.resume();
        socket.end('THIS IS NOT HTTP\r\n\r\n');
      });
      await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = garbage.address() as AddressInfo;
        expect(failure(await fetcher().fetch({ url: `http://127.0.0.1:${port}/` })).code).toBe('http_error');
      } finally {
        await new Promise((resolve) => garbage.close(resolve));
      }
    });
  });

  describe('hostile servers', () => {
    it.each([
      ['gzip', () => bomb(zlib.createGzip({ level: 9, strategy: zlib.constants.Z_RLE }), 1024 * MiB)],
      [
        'br',
        () => bomb(zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }), 1024 * MiB),
      ],
    ] as const)(
      'stops a %s bomb of 1 GiB at the size limit (its time and memory: npm run bench:hostile)',
      async (encoding, make) => {
        const compressed = await make();
        const url = route('/bomb.xml', (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': encoding });
          res.end(compressed);
        });

        const result = await fetcher({ maxBytes: MiB }).fetch({ url });

        expect(failure(result)).toMatchObject({ code: 'too_large', status: 200 });
        await server.allConnectionsClosed();
      },
    );

    it('stops a huge body at the size limit (its time and memory: npm run bench:hostile)', async () => {
      const chunk = Buffer.alloc(256 * 1024, 'x');
      const url = route('/huge.xml', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        let sent = 0;
        const pump = (): void => {
          while (sent < 2048 * MiB) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('close', () => (sent = Infinity));
        pump();
      });

      const result = await fetcher({ maxBytes: 64 * MiB }).fetch({ url });

      expect(failure(result)).toMatchObject({ code: 'too_large', status: 200 });
      await server.allConnectionsClosed();
    });

    it('refuses a body whose declared length is over the limit before reading it', async () => {
      const url = route('/declared.xml', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': String(1024 * MiB) });
        res.write('<rss>');
      });

      const result = await fetcher({ maxBytes: MiB }).fetch({ url });

      expect(failure(result)).toMatchObject({ code: 'too_large', status: 200 });
      await server.allConnectionsClosed();
    });

    it('stops an endless body at the size limit', async () => {
      const url = route('/endless.xml', endless);

      const result = await fetcher({ maxBytes: MiB, timeoutMs: 5000 }).fetch({ url });

      expect(failure(result).code).toBe('too_large');
      await server.allConnectionsClosed();
    });

    it('stops an endless body at the deadline when the size limit is far', async () => {
      const url = route('/endless-slow.xml', (req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        const timer = setInterval(() => res.write(Buffer.alloc(1024, 'x')), 10);
        res.on('close', () => clearInterval(timer));
      });

      const result = await fetcher({ maxBytes: 1024 * MiB, timeoutMs: 400 }).fetch({ url });

      expect(failure(result)).toMatchObject({ code: 'timeout', status: 200 });
      await server.allConnectionsClosed();
    });

    it('times out a server dripping one byte every 80 ms', async () => {
      const url = route('/drip.xml', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        const body = rss('Slow', ...Array.from({ length: 20 }, (_, i) => `item ${i}`));
        let at = 0;
        const timer = setInterval(() => {
          if (at < body.length) res.write(body[at++]!);
          else res.end();
        }, 80);
        res.on('close', () => clearInterval(timer));
      });

      const result = await fetcher({ timeoutMs: 400 }).fetch({ url });

      expect(failure(result)).toMatchObject({ code: 'timeout', status: 200 });
      await server.allConnectionsClosed();
    });

    it('times out a server dripping its headers', async () => {
      const dripping = net.createServer((socket) => {
        socket.on('error', () => undefined);
        socket.resume();
        const head = 'HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\nx-padding: ' + 'a'.repeat(100);
        let at = 0;
        const timer = setInterval(() => (at < head.length ? socket.write(head[at++]!) : undefined), 80);
        socket.on('close', () => clearInterval(timer));
      });
      await new Promise<void>((resolve) => dripping.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = dripping.address() as AddressInfo;

        const result = await fetcher({ timeoutMs: 400 }).fetch({ url: `http://127.0.0.1:${port}/` });

        expect(failure(result).code).toBe('timeout');
      } finally {
        await new Promise((resolve) => dripping.close(resolve));
      }
    });

    it('times out a server that accepts and never answers', async () => {
      const silent = await startSilentServer();
      try {
        const result = await fetcher({ timeoutMs: 400 }).fetch({ url: `${silent.url}/feed.xml` });

        expect(failure(result).code).toBe('timeout');
        expect(failure(result)).not.toHaveProperty('status');
        await silent.allConnectionsClosed();
      } finally {
        await silent.close();
      }
    });

    it('counts redirects and the body against one deadline', async () => {
      for (let hop = 0; hop < 4; hop++) {
        route(`/slow${hop}`, (_req, res) => setTimeout(() => redirect(302, `/slow${hop + 1}`)(_req, res), 120));
      }
      route('/slow4', feed(rss('Late')));

      const result = await fetcher({ timeoutMs: 400 }).fetch({ url: `${base}/slow0` });

      expect(failure(result).code).toBe('timeout');
      await server.allConnectionsClosed();
    });
  });
});

function endless(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/rss+xml' });
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let open = true;
  res.on('close', () => (open = false));
  const pump = (): void => {
    while (open) {
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

async function startHttpServerOn(
  host: string,
): Promise<{ port: number; handle(route: Route): void; close(): Promise<void> }> {
  let current: Route = (_req, res) => res.end();
  const { createServer } = await import('node:http');
  const v6 = createServer((req, res) => current(req, res));
  await new Promise<void>((resolve) => v6.listen(0, host, resolve));
  return {
    port: (v6.address() as AddressInfo).port,
    handle: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        v6.closeAllConnections();
        v6.close(() => resolve());
      }),
  };
}
