import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import { BodyBudget } from '../../../src/adapters/http/body-budget.js';
import { HttpRequestError } from '../../../src/adapters/http/errors.js';
import {
  USER_AGENT,
  keepAliveAgents,
  sendHttpRequest,
  type HttpRequestOptions,
} from '../../../src/adapters/http/http-client.js';
import { NetworkGuard } from '../../../src/adapters/http/network-guard.js';
import { startHttpServer, type TestServer } from './support/test-server.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const routes = new Map<string, Route>();
const seen: { method: string; path: string; body: string }[] = [];
let server: TestServer;

function route(path: string, handler: Route): string {
  routes.set(path, handler);
  return `${server.url}${path}`;
}

function send(options: Partial<HttpRequestOptions> & { url: string }): ReturnType<typeof sendHttpRequest> {
  return sendHttpRequest({
    guard: NetworkGuard.fromList(['127.0.0.0/8']),
    timeoutMs: 2000,
    maxBytes: 1024 * 1024,
    ...options,
  });
}

async function failureOf(sending: Promise<unknown>): Promise<HttpRequestError> {
  try {
    await sending;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpRequestError);
    return error as HttpRequestError;
  }
  throw new Error('expected the request to fail');
}

beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      seen.push({ method: req.method ?? '', path, body: Buffer.concat(chunks).toString() });
      const handler = routes.get(path);
      if (handler) handler(req, res);
      else {
        res.writeHead(404);
        res.end();
      }
    });
  });
});

afterAll(() => server.close());

describe('sendHttpRequest', () => {
  it('names itself with the package version', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };

    expect(USER_AGENT).toBe(`feedrelay/${version} (+https://github.com/feedrelay/feedrelay)`);
  });

  it('returns a 3xx as it is when redirects are not followed, without reading its body', async () => {
    const url = route('/moved', (_req, res) => {
      res.writeHead(301, { location: '/elsewhere' });
      res.end('moved');
    });

    const response = await send({ url, followRedirects: false });

    expect(response).toMatchObject({ status: 301, url, redirects: [] });
    expect(response.headers.location).toBe('/elsewhere');
    expect(response.body).toHaveLength(0);
  });

  it('turns a POST into a GET after a 303 and keeps it a POST after a 307', async () => {
    route('/done', (_req, res) => res.end('ok'));
    route('/see-other', (_req, res) => {
      res.writeHead(303, { location: '/done' });
      res.end();
    });
    route('/temporary', (_req, res) => {
      res.writeHead(307, { location: '/done' });
      res.end();
    });
    seen.length = 0;

    const afterSeeOther = await send({ url: `${server.url}/see-other`, method: 'POST', body: '{"a":1}' });
    const afterTemporary = await send({ url: `${server.url}/temporary`, method: 'POST', body: '{"b":2}' });

    expect(afterSeeOther.redirects).toEqual([
      { status: 303, from: `${server.url}/see-other`, to: `${server.url}/done` },
    ]);
    expect(afterTemporary.body.toString()).toBe('ok');
    expect(seen).toEqual([
      { method: 'POST', path: '/see-other', body: '{"a":1}' },
      { method: 'GET', path: '/done', body: '' },
      { method: 'POST', path: '/temporary', body: '{"b":2}' },
      { method: 'POST', path: '/done', body: '{"b":2}' },
    ]);
  });

  it('fails at once when the shared deadline has already passed', async () => {
    const error = await failureOf(send({ url: `${server.url}/`, deadlineAt: Date.now() - 1 }));

    expect(error.code).toBe('timeout');
  });

  it('reads the body of a truncated gzip stream as far as it goes', async () => {
    const whole = zlib.gzipSync(Buffer.from('x'.repeat(100_000)));
    const url = route('/truncated', (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(whole.subarray(0, whole.length - 8));
    });

    const response = await send({ url });

    expect(response.body.toString()).toBe('x'.repeat(100_000));
  });

  it('fails with http_error on a body that is not what its encoding says', async () => {
    const url = route('/corrupt', (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end('this is not gzip at all');
    });

    const error = await failureOf(send({ url }));

    expect(error).toMatchObject({ code: 'http_error', status: 200, name: 'HttpRequestError' });
    expect(error.cause).toMatchObject({ code: 'Z_DATA_ERROR' });
  });

  it('counts the size limit after decompression', async () => {
    const url = route('/small-on-the-wire', (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'deflate' });
      res.end(zlib.deflateSync(Buffer.alloc(2 * 1024 * 1024)));
    });

    const error = await failureOf(send({ url, maxBytes: 1024 * 1024 }));

    expect(error).toMatchObject({ code: 'too_large', status: 200 });
  });

  it('accepts a body of exactly the size limit', async () => {
    const url = route('/exact', (_req, res) => res.end(Buffer.alloc(1000, 'a')));

    const response = await send({ url, maxBytes: 1000 });

    expect(response.body).toHaveLength(1000);
  });

  it('keeps the blocked address out of reach when the guard allows nothing', async () => {
    const url = route('/private', (_req, res) => res.end('secret'));

    const error = await failureOf(send({ url, guard: new NetworkGuard() }));

    expect(error).toMatchObject({ code: 'blocked_address' });
    expect(error.message).toContain('127.0.0.1');
  });
});

describe('sendHttpRequest over pooled connections', () => {
  let pooled: TestServer;
  let answer: (req: IncomingMessage, res: ServerResponse, nthOnItsConnection: number) => void;
  /** Requests served per connection, by the connection's socket. */
  const connections = new Map<object, number>();

  beforeAll(async () => {
    pooled = await startHttpServer((req, res) => {
      const nth = (connections.get(req.socket) ?? 0) + 1;
      connections.set(req.socket, nth);
      req.resume();
      req.on('end', () => answer(req, res, nth));
    });
  });
  afterAll(() => pooled.close());
  beforeEach(() => connections.clear());

  /** Agents of one test, whose connections are closed after it. */
  const pools: ReturnType<typeof keepAliveAgents>[] = [];
  const pool = (limits?: Parameters<typeof keepAliveAgents>[1]) => {
    const agents = keepAliveAgents(4, limits);
    pools.push(agents);
    return agents;
  };
  afterEach(async () => {
    for (const agents of pools.splice(0)) agents.http.destroy();
    await pooled.allConnectionsClosed(2000);
  });

  it('sends the requests to one host over one connection, after a gzipped body too', async () => {
    // Prepare
    answer = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(Buffer.from('<rss/>')));
    };
    const agents = pool();

    // Act
    const first = await send({ url: `${pooled.url}/a.xml`, agents });
    const second = await send({ url: `${pooled.url}/b.xml`, agents });

    // Assess
    expect([first.body.toString(), second.body.toString()]).toEqual(['<rss/>', '<rss/>']);
    expect([...connections.values()]).toEqual([2]);
  });

  it('sends a GET once more when the server closed the pooled connection it went out on', async () => {
    // Prepare: the server drops a connection at its second request, as one closing an idle connection would.
    answer = (req, res, nth) => (nth > 1 ? req.socket.destroy() : res.end('fresh'));
    const agents = pool();
    await send({ url: `${pooled.url}/feed.xml`, agents });

    // Act
    const again = await send({ url: `${pooled.url}/feed.xml`, agents });

    // Assess: answered on a new connection.
    expect(again.body.toString()).toBe('fresh');
    expect([...connections.values()]).toEqual([2, 1]);
  });

  it('does not send a POST again: its failure on a closed pooled connection is the answer', async () => {
    // Prepare
    answer = (req, res, nth) => (nth > 1 ? req.socket.destroy() : res.end('ok'));
    const agents = pool();
    await send({ url: `${pooled.url}/hook`, agents });

    // Act
    const error = await failureOf(send({ url: `${pooled.url}/hook`, method: 'POST', body: '{}', agents }));

    // Assess
    expect(error.code).toBe('connect_error');
    expect([...connections.values()]).toEqual([2]);
  });

  it('keeps no more idle connections over all hosts than its cap, closing the ones past it', async () => {
    // Prepare: three origins (this server and two more), each answering at once.
    answer = (_req, res) => res.end('ok');
    const others = await Promise.all([1, 2].map(() => startHttpServer((_req, res) => res.end('ok'))));
    const agents = pool({ maxIdleSockets: 2 });

    try {
      // Act
      for (const origin of [pooled.url, ...others.map((o) => o.url)]) await send({ url: `${origin}/feed.xml`, agents });

      // Assess: three connections were made; two are kept, the third is closed.
      const idle = Object.values(agents.http.freeSockets).flatMap((sockets) => sockets ?? []);
      expect(idle.filter((socket) => !socket.destroyed)).toHaveLength(2);
    } finally {
      agents.http.destroy();
      await Promise.all(others.map((other) => other.close()));
    }
  });

  it('closes a pooled connection left idle for longer than its idle time', async () => {
    // Prepare
    answer = (_req, res) => res.end('ok');
    const agents = pool({ idleMs: 50 });

    // Act
    await send({ url: `${pooled.url}/feed.xml`, agents });

    // Assess
    expect(pooled.openConnections()).toBe(1);
    await pooled.allConnectionsClosed(2000);
  });
});

describe('sendHttpRequest under a body budget', () => {
  const CHUNK = 16 * 1024;
  const BODY = 32 * CHUNK;

  /** Serves a 512 KiB body (gzipped when `gzip`) in 16 KiB chunks, one every few milliseconds. */
  function trickle(gzip: boolean): Route {
    return (_req, res) => {
      const plain = Buffer.alloc(BODY, 'x');
      const sent = gzip ? zlib.gzipSync(plain) : plain;
      res.writeHead(200, { 'content-length': String(sent.length), ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
      let at = 0;
      const next = (): void => {
        if (at >= sent.length) {
          res.end();
          return;
        }
        res.write(sent.subarray(at, at + CHUNK));
        at += CHUNK;
        setTimeout(next, 2);
      };
      next();
    };
  }

  it.each([
    ['plain', false],
    ['gzipped', true],
  ])(
    'reads every %s body whole, while what the bodies hold together stays within the budget and one body',
    async (_name, gzip) => {
      // Prepare: six bodies of 512 KiB at once, and a budget of one of them.
      const url = route(`/trickle-${gzip}`, trickle(gzip));
      const budget = new BodyBudget(BODY);
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, budget.heldBytes)), 1);

      // Act
      const responses = await Promise.all(
        Array.from({ length: 6 }, () => send({ url, budget, timeoutMs: 20_000 })),
      ).finally(() => clearInterval(sampler));

      // Assess: whole bodies, decoded; at most the budget, one body, and a chunk (decoded: up to 64 KiB)
      // per body were held at once, and nothing is held once they are done.
      for (const response of responses) expect(response.body.equals(Buffer.alloc(BODY, 'x'))).toBe(true);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(BODY + BODY + 6 * 64 * 1024);
      expect(budget.heldBytes).toBe(0);
    },
  );

  it('frees what a failed body held', async () => {
    // Prepare: a body past the size limit, read under the budget.
    const url = route('/too-large', trickle(false));
    const budget = new BodyBudget(BODY);

    // Act
    const failure = await failureOf(send({ url, budget, maxBytes: BODY / 2 }));

    // Assess
    expect(failure.code).toBe('too_large');
    expect(budget.heldBytes).toBe(0);
  });
});
