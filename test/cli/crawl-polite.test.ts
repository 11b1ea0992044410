import path from 'node:path';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RSS } from './fixtures.js';
import {
  expectExit,
  expectSummaryShape,
  feedrelay,
  jsonOf,
  LOOPBACK,
  LoopbackServer,
  scratch,
  type CrawlSummary,
  type RunResult,
} from './support.js';

/**
 * Politeness and healing end to end: two feed hosts on loopback (two ports, two hosts), crawls in separate
 * processes over one --data-dir, so what the second crawl respects came through the store.
 */

interface ListedFeed {
  id: string;
  url: string;
  status: string;
  errorCount: number;
  failingSince?: string;
  lastError?: { code: string; message: string; at: string };
}

/** A feed host counting the requests of each path; `answer` decides what a path gets. */
function feedHost(answer: (pathname: string, res: http.ServerResponse, req: http.IncomingMessage) => void) {
  const requests = new Map<string, number>();
  const server = new LoopbackServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    requests.set(pathname, (requests.get(pathname) ?? 0) + 1);
    answer(pathname, res, req);
  });
  return { server, requests, count: (pathname: string) => requests.get(pathname) ?? 0 };
}

/** The RSS fixture under one ETag: 304 to a request that has it. */
const rss = (res: http.ServerResponse, req: http.IncomingMessage): void => {
  if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
  else res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"v1"' }).end(RSS);
};

describe('feedrelay crawl, polite per host and self-healing', () => {
  // busy: /limited answers 429 with Retry-After; /one and /two are healthy feeds of the same host.
  const busy = feedHost((pathname, res, req) => {
    if (pathname === '/limited') res.writeHead(429, { 'retry-after': '600' }).end();
    else if (pathname === '/gone') res.writeHead(410).end();
    else rss(res, req);
  });
  const calm = feedHost((_pathname, res, req) => rss(res, req));
  let dataDir: string;
  let cleanup: () => Promise<void>;
  const cli = (...args: string[]): Promise<RunResult> =>
    feedrelay([...args, '--data-dir', dataDir], { env: LOOPBACK, timeoutMs: 60_000 });
  const crawl = async (...flags: string[]): Promise<CrawlSummary> => {
    const run = await cli('crawl', '--json', ...flags);
    expectExit(run, 0);
    const summary = jsonOf<CrawlSummary>(run);
    expectSummaryShape(summary);
    return summary;
  };
  const listed = async (): Promise<Map<string, ListedFeed>> => {
    const run = await cli('feeds', 'list', '--json');
    expectExit(run, 0);
    return new Map(jsonOf<{ feeds: ListedFeed[] }>(run).feeds.map((feed) => [feed.url, feed]));
  };

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await scratch('feedrelay-cli-polite-'));
    dataDir = path.join(dir, 'data');
    await Promise.all([busy.server.start(), calm.server.start()]);
    const added = await cli(
      'feeds',
      'add',
      busy.server.url('/limited'),
      busy.server.url('/one'),
      busy.server.url('/two'),
      busy.server.url('/gone'),
      calm.server.url('/three'),
    );
    expectExit(added, 0);
  });

  afterAll(async () => {
    await Promise.all([busy.server.stop(), calm.server.stop()]);
    await cleanup();
  });

  it('holds back every feed of a host that answered 429, and only that host', async () => {
    // Act: the first crawl meets the 429; the second (forced: every feed is due) must leave the host alone.
    const first = await crawl();
    const afterFirst = new Map(busy.requests);
    const second = await crawl('--force');

    // Assess
    expect(first).toMatchObject({ feeds: 5, fetched: 3, failed: 2 });
    expect(second.feeds).toBe(4); // the gone feed is no longer dispatched
    expect(second).toMatchObject({ fetched: 0, notModified: 1, failed: 0 });
    expect(busy.requests).toEqual(afterFirst);
    expect(calm.count('/three')).toBe(2);
  });

  it('lists the failing feed with its error and since when, and the gone feed as gone', async () => {
    // Act
    const feeds = await listed();

    // Assess
    expect(feeds.get(busy.server.url('/limited'))).toMatchObject({
      status: 'active',
      errorCount: 1,
      failingSince: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      lastError: { code: 'rate_limited', message: expect.stringContaining('slow down') },
    });
    expect(feeds.get(busy.server.url('/gone'))).toMatchObject({ status: 'gone', lastError: { code: 'gone' } });
    expect(feeds.get(busy.server.url('/one'))).toMatchObject({ status: 'active', errorCount: 0 });
    expect(feeds.get(busy.server.url('/one'))).not.toHaveProperty('failingSince');
  });

  it('says so in the plain listing too', async () => {
    // Act
    const run = await cli('feeds', 'list');

    // Assess
    expectExit(run, 0);
    expect(run.stdout).toContain(`${busy.server.url('/limited')}`);
    expect(run.stdout).toMatch(/\[failing since \d{4}-\d{2}-\d{2}T[^,]+, 1 time\(s\): rate_limited: /);
    expect(run.stdout).toMatch(/\/gone .*\[gone: /);
  });
});
