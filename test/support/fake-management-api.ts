import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake API received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** What a route answers: a status and a JSON body (none for 204), or `'hang'` to never answer. */
export type FakeAnswer = { readonly status: number; readonly body?: unknown; readonly raw?: string } | 'hang';

export type FakeRoute = (
  request: RecordedRequest & { readonly path: string; readonly query: URLSearchParams },
) => FakeAnswer | undefined;

/**
 * A stand-in for feedrelay's management API on a loopback port: it records every request and answers from
 * the routes given (the first that answers wins; 404 `{"error"}` when none does).
 */
export class FakeManagementApi {
  readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;
  private routes: FakeRoute[] = [];

  constructor(...routes: FakeRoute[]) {
    this.routes = routes;
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const recorded: RecordedRequest = {
          method: request.method ?? '',
          url: request.url ?? '/',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(recorded);
        const parsed = new URL(recorded.url, 'http://fake');
        const context = { ...recorded, path: parsed.pathname, query: parsed.searchParams };
        const answer = this.routes.reduce<FakeAnswer | undefined>(
          (found, route) => found ?? route(context),
          undefined,
        ) ?? {
          status: 404,
          body: { error: { code: 'not_found', message: `no route ${recorded.method} ${parsed.pathname}` } },
        };
        if (answer === 'hang') return;
        if (answer.status === 204) response.writeHead(204).end();
        else if (answer.raw !== undefined)
          response.writeHead(answer.status, { 'content-type': 'text/html' }).end(answer.raw);
        else response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
  }

  /** Replaces the routes. */
  answer(...routes: FakeRoute[]): void {
    this.routes = routes;
    this.requests.length = 0;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A route for one method and exact path. */
export const on =
  (
    method: string,
    path: string | RegExp,
    answer: FakeAnswer | ((r: Parameters<FakeRoute>[0]) => FakeAnswer),
  ): FakeRoute =>
  (request) =>
    request.method === method && (typeof path === 'string' ? request.path === path : path.test(request.path))
      ? typeof answer === 'function'
        ? answer(request)
        : answer
      : undefined;
