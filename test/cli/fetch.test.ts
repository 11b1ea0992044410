import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HTML, RSS, type Fetched } from './fixtures.js';
import { feedrelayInProcess } from './in-process.js';
import {
  errorOf,
  expectExit,
  expectUsage,
  feedrelay,
  jsonOf,
  LOOPBACK,
  LoopbackServer,
  runAll,
  type RunResult,
} from './support.js';

/**
 * `feedrelay fetch URL --json` against a loopback server with one route per situation. The commands run in
 * `beforeAll` (they are independent), in this process but for the first, a process as a user runs it; each test
 * asserts on its own.
 */

const ETAG = '"v1"';
const BIG = RSS.replace(
  '</channel>',
  `${Array.from({ length: 200 }, (_, i) => `<item><guid>big-${i}</guid><title>Item ${i}</title></item>`).join('\n')}</channel>`,
);
const BOMB = gzipSync(
  Buffer.from(
    RSS.replace(
      '</channel>',
      `<item><guid>bomb</guid><description>${'x'.repeat(2_000_000)}</description></item></channel>`,
    ),
  ),
);

describe('feedrelay fetch', () => {
  let server: LoopbackServer;
  let runs: Record<string, RunResult>;

  beforeAll(async () => {
    server = new LoopbackServer((request, response) => {
      switch (request.url) {
        case '/feed.xml':
          if (request.headers['if-none-match'] === ETAG) {
            response.writeHead(304, { etag: ETAG }).end();
            return;
          }
          response
            .writeHead(200, {
              'content-type': 'application/rss+xml; charset=utf-8',
              etag: ETAG,
              'last-modified': 'Wed, 04 Jun 2025 10:00:00 GMT',
            })
            .end(RSS);
          return;
        case '/moved':
          response.writeHead(301, { location: '/feed.xml' }).end();
          return;
        case '/elsewhere':
          response.writeHead(302, { location: '/feed.xml' }).end();
          return;
        case '/to-v6-loopback': {
          // allowed: 127.0.0.0/8; the next hop, [::1], is loopback outside it
          const port = new URL(server.origin).port;
          response.writeHead(302, { location: `http://[::1]:${port}/feed.xml` }).end();
          return;
        }
        case '/to-private':
          response.writeHead(301, { location: 'http://10.1.2.3/feed.xml' }).end();
          return;
        case '/gone':
          response.writeHead(410).end('gone');
          return;
        case '/busy':
          response.writeHead(429, { 'retry-after': '120' }).end('slow down');
          return;
        case '/silent':
          return; // never answers
        case '/drip': {
          response.writeHead(200, { 'content-type': 'application/rss+xml' });
          response.write('<?xml version="1.0"?><rss version="2.0"><channel><title>drip</title>');
          const timer = setInterval(() => response.write(' '), 50);
          response.on('close', () => clearInterval(timer));
          return;
        }
        case '/big':
          response.writeHead(200, { 'content-type': 'application/rss+xml' }).end(BIG);
          return;
        case '/bomb':
          response.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(BOMB);
          return;
        case '/page.html':
          response.writeHead(200, { 'content-type': 'text/html' }).end(HTML);
          return;
        default:
          response.writeHead(404).end();
      }
    });
    await server.start();
    const port = new URL(server.origin).port;
    const fetchJson =
      (url: string, ...flags: string[]) =>
      () =>
        feedrelayInProcess(['fetch', url, '--json', ...flags], { env: LOOPBACK });
    const fetchUsage =
      (...args: string[]) =>
      () =>
        feedrelayInProcess(['fetch', ...args], { env: LOOPBACK });
    const feed = server.url('/feed.xml');
    runs = await runAll({
      ok: () => feedrelay(['fetch', feed, '--json'], { env: LOOPBACK, timeoutMs: 20_000 }),
      etag: fetchJson(feed, '--etag', ETAG),
      moved: fetchJson(server.url('/moved')),
      found: fetchJson(server.url('/elsewhere')),
      noRedirects: fetchJson(server.url('/moved'), '--max-redirects', '0'),
      gone: fetchJson(server.url('/gone')),
      notFound: fetchJson(server.url('/nothing-here')),
      busy: fetchJson(server.url('/busy')),
      silent: fetchJson(server.url('/silent'), '--timeout-ms', '300'),
      drip: fetchJson(server.url('/drip'), '--timeout-ms', '600'),
      big: fetchJson(server.url('/big'), '--max-bytes', '100'),
      bomb: fetchJson(server.url('/bomb'), '--max-bytes', '100000'),
      html: fetchJson(server.url('/page.html')),
      blocked: () => feedrelayInProcess(['fetch', feed, '--json']),
      blockedLocalhost: () => feedrelayInProcess(['fetch', `http://localhost:${port}/feed.xml`, '--json']),
      blockedNumeric: () => feedrelayInProcess(['fetch', `http://2130706433:${port}/feed.xml`, '--json']),
      blockedMapped: () => feedrelayInProcess(['fetch', `http://[::ffff:127.0.0.1]:${port}/feed.xml`, '--json']),
      hopV6: fetchJson(server.url('/to-v6-loopback')),
      hopPrivate: fetchJson(server.url('/to-private')),
      allowFlag: () => feedrelayInProcess(['fetch', feed, '--json', '--allow-network', '127.0.0.0/8']),
      file: fetchJson('file:///etc/passwd'),
      notUrl: fetchJson('not a url'),
      badTimeout: fetchUsage(feed, '--timeout-ms', 'abc'),
      badMaxBytes: fetchUsage(feed, '--max-bytes', 'lots'),
      badRedirects: fetchUsage(feed, '--max-redirects', '1.5'),
      bogus: fetchUsage(feed, '--bogus'),
      noValue: fetchUsage(feed, '--timeout-ms'),
      noUrl: fetchUsage(),
    });
  }, 90_000);

  afterAll(() => server.stop());

  it('fetches and parses a feed: status 200, final url, etag, last-modified, the articles', () => {
    expectExit(runs.ok!, 0);
    const doc = jsonOf<Fetched>(runs.ok!);
    expect(doc).toMatchObject({ status: 200, url: server.url('/feed.xml'), etag: ETAG, notModified: false });
    expect(doc.lastModified).toBeDefined();
    expect(doc.permanentRedirect).toBeUndefined();
    expect(doc.feed.title).toBe('Example RSS & more');
    expect(doc.articles.map((a) => a.guid)).toEqual(['rss-1', 'rss-2']);
  });

  it('answers a matching --etag with notModified: true, status 304 and no articles', () => {
    expectExit(runs.etag!, 0);
    const doc = jsonOf<Fetched>(runs.etag!);
    expect(doc.status).toBe(304);
    expect(doc.notModified).toBe(true);
    expect(doc.articles ?? []).toEqual([]);
  });

  it('reports a 301 as permanentRedirect and follows it', () => {
    expectExit(runs.moved!, 0);
    const doc = jsonOf<Fetched>(runs.moved!);
    const final = server.url('/feed.xml');
    expect(doc).toMatchObject({ status: 200, url: final, permanentRedirect: final });
    expect(doc.articles).toHaveLength(2);
  });

  it('follows a 302 without reporting a permanent redirect', () => {
    expectExit(runs.found!, 0);
    const doc = jsonOf<Fetched>(runs.found!);
    expect(doc).toMatchObject({ status: 200, url: server.url('/feed.xml') });
    expect(doc.permanentRedirect).toBeUndefined();
  });

  it('--max-redirects 0 refuses a redirect: too_many_redirects', () => {
    expectExit(runs.noRedirects!, 1);
    expect(errorOf(runs.noRedirects!).code).toBe('too_many_redirects');
  });

  it('410: exit 1, code gone, status 410', () => {
    expectExit(runs.gone!, 1);
    expect(errorOf(runs.gone!)).toMatchObject({ code: 'gone', status: 410 });
  });

  it('404: exit 1, code http_error, status 404', () => {
    expectExit(runs.notFound!, 1);
    expect(errorOf(runs.notFound!)).toMatchObject({ code: 'http_error', status: 404 });
  });

  it('429 with Retry-After: 120: code rate_limited, retryAfterSeconds 120', () => {
    expectExit(runs.busy!, 1);
    expect(errorOf(runs.busy!)).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 120 });
  });

  it('--timeout-ms 300 on a silent server: timeout, promptly', () => {
    expectExit(runs.silent!, 1);
    expect(errorOf(runs.silent!).code).toBe('timeout');
    expect(runs.silent!.elapsedMs).toBeLessThan(10_000);
  });

  it('--timeout-ms bounds the whole exchange: a body that never ends is a timeout', () => {
    expectExit(runs.drip!, 1);
    expect(errorOf(runs.drip!).code).toBe('timeout');
    expect(runs.drip!.elapsedMs).toBeLessThan(10_000);
  });

  it('--max-bytes 100 on a big body: too_large', () => {
    expectExit(runs.big!, 1);
    expect(errorOf(runs.big!).code).toBe('too_large');
  });

  it('--max-bytes counts decompressed bytes: a small gzip bomb is too_large', () => {
    expect(BOMB.length).toBeLessThan(100_000);
    expectExit(runs.bomb!, 1);
    expect(errorOf(runs.bomb!).code).toBe('too_large');
  });

  it('an HTML page: not_a_feed', () => {
    expectExit(runs.html!, 1);
    expect(errorOf(runs.html!).code).toBe('not_a_feed');
  });

  it.each(['blocked', 'blockedLocalhost', 'blockedNumeric', 'blockedMapped'])(
    'refuses loopback without an allowed network: blocked_address (%s)',
    (name) => {
      expectExit(runs[name]!, 1);
      expect(errorOf(runs[name]!).code).toBe('blocked_address');
    },
  );

  it.each(['hopV6', 'hopPrivate'])('checks every redirect hop: blocked_address (%s)', (name) => {
    expectExit(runs[name]!, 1);
    expect(errorOf(runs[name]!).code).toBe('blocked_address');
  });

  it('--allow-network 127.0.0.0/8 allows loopback as the env variable does', () => {
    expectExit(runs.allowFlag!, 0);
    expect(jsonOf<Fetched>(runs.allowFlag!).status).toBe(200);
  });

  it('file:///etc/passwd: unsupported_scheme', () => {
    expectExit(runs.file!, 1);
    expect(errorOf(runs.file!).code).toBe('unsupported_scheme');
  });

  it('"not a url": invalid_url', () => {
    expectExit(runs.notUrl!, 1);
    expect(errorOf(runs.notUrl!).code).toBe('invalid_url');
  });

  it('bad flag values are bad usage: exit 2 with a one-line message naming the flag', () => {
    expectUsage(runs.badTimeout!, /timeout-ms/);
    expectUsage(runs.badMaxBytes!, /max-bytes/);
    expectUsage(runs.badRedirects!, /max-redirects/);
    expectUsage(runs.bogus!, /bogus/);
    expectUsage(runs.noValue!, /timeout-ms/);
    expectUsage(runs.noUrl!, /URL/);
  });
});
