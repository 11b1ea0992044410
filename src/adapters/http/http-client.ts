import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Transform as ZlibStream } from 'node:stream';
import zlib from 'node:zlib';
import { VERSION } from '../package-version.js';
import type { BodyAllowance, BodyBudget } from './body-budget.js';
import { BlockedAddressError, HttpRequestError } from './errors.js';
import type { NetworkGuard } from './network-guard.js';

/** `feedrelay/<version> (+https://github.com/feedrelay/feedrelay)`. */
export const USER_AGENT = `feedrelay/${VERSION} (+https://github.com/feedrelay/feedrelay)`;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface HttpRequestOptions {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Refuses internal addresses on every hop. */
  readonly guard: NetworkGuard;
  /** One deadline for the whole exchange: connects, redirects, headers and body. */
  readonly timeoutMs: number;
  /** Overrides `timeoutMs` with an absolute time (epoch ms), to share one deadline across several exchanges. */
  readonly deadlineAt?: number;
  /** The most body bytes accepted, counted after decompression (and on the wire). */
  readonly maxBytes: number;
  /**
   * The bytes that the bodies of the requests sharing it may hold at once (after decompression): a body past it
   * waits until others are done (`BodyBudget`). Default: none.
   */
  readonly budget?: BodyBudget;
  /** Whether 3xx responses with a Location are followed (default true); when not, they are returned as they are. */
  readonly followRedirects?: boolean;
  /** The most redirects followed before failing with `too_many_redirects` (default 5). */
  readonly maxRedirects?: number;
  /**
   * Keep-alive agents to pool connections in (default: none, a fresh connection per request that is closed
   * after it). A pooled connection goes back to its pool once its response is read.
   */
  readonly agents?: HttpAgents;
  /**
   * Whether the body is read (default true). When false, the status and headers are the answer: the body is
   * drained (up to `DRAIN_LIMIT_BYTES` within `DRAIN_TIMEOUT_MS`, so that the connection can be reused) or the
   * connection dropped.
   */
  readonly readBody?: boolean;
}

/** Keep-alive agents for both schemes. */
export interface HttpAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

/** Bounds on the idle connections of keep-alive agents. */
export interface IdleConnectionLimits {
  /** A connection left idle this long is closed (a crawl of many hosts keeps only those it is still using). */
  readonly idleMs?: number;
  /** Idle connections kept per host (default: the agents' `maxSockets`). */
  readonly maxFreeSockets?: number;
  /** Idle connections kept over all hosts, per agent: past it, a connection is closed instead of kept. */
  readonly maxIdleSockets?: number;
}

/** Keep-alive agents with at most `maxSockets` connections per host, and idle ones within `limits`. */
export function keepAliveAgents(maxSockets: number, limits: IdleConnectionLimits = {}): HttpAgents {
  const options = {
    keepAlive: true,
    maxSockets,
    maxFreeSockets: limits.maxFreeSockets ?? maxSockets,
    scheduling: 'lifo' as const,
    // The agent closes a pooled connection idle for this long; on a connection in use it only raises an event.
    ...(limits.idleMs !== undefined ? { timeout: limits.idleMs } : {}),
  };
  const agents = { http: new http.Agent(options), https: new https.Agent(options) };
  if (limits.maxIdleSockets !== undefined) {
    for (const agent of [agents.http, agents.https]) capIdleSockets(agent, limits.maxIdleSockets);
  }
  return agents;
}

/** Closes a connection coming back to the pool when `agent` already keeps `max` idle ones. */
function capIdleSockets(agent: http.Agent, max: number): void {
  // Runs after the agent's own listener, which has pooled the connection (or closed it) by then.
  agent.on('free', (socket: Socket) => {
    let idle = 0;
    let pooled = false;
    for (const sockets of Object.values(agent.freeSockets)) {
      idle += sockets?.length ?? 0;
      pooled ||= sockets?.includes(socket) === true;
    }
    // Only a connection the agent pooled: one it handed straight to a waiting request is in use.
    if (pooled && idle > max) socket.destroy();
  });
}

/**
 * A pooled connection that failed before any response: the server had closed it while it sat idle (the race
 * every keep-alive client meets). An idempotent request is sent once more (`sendHttpRequest`).
 */
class StaleConnectionError extends Error {
  constructor(readonly original: unknown) {
    super('a pooled connection was closed by the server');
  }
}

const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** The most bytes of an unread body drained so that its connection can be reused; a longer body drops it. */
export const DRAIN_LIMIT_BYTES = 4 * 1024;
/** How long an unread body may take to end before its connection is dropped (a slow body never holds one). */
export const DRAIN_TIMEOUT_MS = 1000;

/** One redirect that was followed. */
export interface RedirectHop {
  readonly status: number;
  readonly from: string;
  readonly to: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The URL that gave this response, after redirects. */
  readonly url: string;
  readonly redirects: readonly RedirectHop[];
  /** The decoded body of a 2xx response; empty for every other status (those bodies are not read). */
  readonly body: Buffer;
}

/** Parses a URL for an outbound request, refusing what is not http(s). */
export function parseHttpUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch (error) {
    throw new HttpRequestError('invalid_url', `not a valid URL: ${JSON.stringify(text)}`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HttpRequestError('unsupported_scheme', `only http and https URLs are fetched, not ${url.protocol}`);
  }
  if (url.hostname === '') throw new HttpRequestError('invalid_url', `the URL has no host: ${JSON.stringify(text)}`);
  return url;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA', 'ENODATA', 'ESERVFAIL']);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL_)|_CERT|HOSTNAME_MISMATCH/;

/** Maps a Node socket, DNS, TLS or parser error to the contract's failure codes. */
export function toHttpRequestError(error: unknown, host: string, status?: number): HttpRequestError {
  if (error instanceof HttpRequestError) {
    if (status === undefined || error.status !== undefined) return error;
    return new HttpRequestError(error.code, error.message, { cause: error.cause, status });
  }
  const options = status === undefined ? { cause: error } : { cause: error, status };
  if (error instanceof BlockedAddressError) return new HttpRequestError('blocked_address', error.message, options);
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const syscall = (error as { syscall?: unknown } | null)?.syscall;
  if (typeof code === 'string') {
    if (DNS_CODES.has(code) || syscall === 'getaddrinfo' || syscall === 'queryA') {
      return new HttpRequestError('dns_error', `could not resolve ${host}: ${message}`, options);
    }
    if (TLS_CODE.test(code) || (code === 'EPROTO' && /ssl|tls/i.test(message))) {
      return new HttpRequestError('tls_error', `TLS failed with ${host}: ${message}`, options);
    }
    if (code.startsWith('HPE_')) {
      return new HttpRequestError('http_error', `malformed response from ${host}: ${message}`, options);
    }
  }
  if (/SSL|TLS|certificate/i.test(message) && !(typeof code === 'string' && code.startsWith('E'))) {
    return new HttpRequestError('tls_error', `TLS failed with ${host}: ${message}`, options);
  }
  return new HttpRequestError('connect_error', `connection to ${host} failed: ${message}`, options);
}

interface Hop {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

function createDecoder(encoding: string, firstBytes: Buffer): ZlibStream | undefined {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    case 'deflate': {
      // "deflate" should be zlib-wrapped, but some servers send raw deflate: a zlib header says which.
      const [cmf = 0, flg = 0] = firstBytes;
      const wrapped = (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
      return wrapped
        ? zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
        : zlib.createInflateRaw({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    }
    case 'br':
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    default:
      return undefined;
  }
}

/**
 * One request/response, settled exactly once. Without agents it runs on a fresh connection and leaves no socket
 * behind; with them, a connection whose response was read (or drained) goes back to the pool.
 */
function exchange(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  options: HttpRequestOptions,
  signal: AbortSignal,
): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    const host = url.host;
    let settled = false;
    let response: IncomingMessage | undefined;
    let decoder: ZlibStream | undefined;
    /** The body's share of `options.budget`, from its first byte until the exchange is settled. */
    let allowance: BodyAllowance | undefined;

    const pooled = options.agents !== undefined;
    const cleanup = (): void => {
      allowance?.release();
      signal.removeEventListener('abort', onAbort);
      decoder?.destroy();
      response?.destroy();
      request.destroy();
    };
    /**
     * Hands a pooled connection back once the rest of the body is drained, or drops it when the body is longer
     * than `DRAIN_LIMIT_BYTES` or does not end within `DRAIN_TIMEOUT_MS`.
     */
    const release = (res: IncomingMessage): void => {
      signal.removeEventListener('abort', onAbort);
      let drained = 0;
      const drop = (): void => {
        clearTimeout(deadline);
        res.destroy();
      };
      const deadline = setTimeout(drop, DRAIN_TIMEOUT_MS);
      deadline.unref();
      res.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        if (drained > DRAIN_LIMIT_BYTES) drop();
      });
      res.on('close', () => clearTimeout(deadline));
      res.on('error', () => undefined);
      res.resume();
    };
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(toHttpRequestError(error, host, response?.statusCode));
    };
    const succeed = (hop: Hop, unread?: IncomingMessage): void => {
      if (settled) return;
      settled = true;
      if (pooled && unread) release(unread);
      else cleanup();
      resolve(hop);
    };
    const onAbort = (): void => {
      fail(new HttpRequestError('timeout', `no complete response from ${host} within ${options.timeoutMs} ms`));
    };

    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(
      {
        protocol: url.protocol,
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        agent: pooled ? (url.protocol === 'https:' ? options.agents!.https : options.agents!.http) : false,
        lookup: options.guard.lookup,
      },
      (res) => {
        response = res;
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300 || options.readBody === false) {
          succeed({ status, headers: res.headers, body: Buffer.alloc(0) }, res);
          return;
        }
        readBody(res, status);
      },
    );
    request.on('error', (error: Error & { code?: string }) => {
      if (!settled && pooled && request.reusedSocket && response === undefined) {
        if (STALE_CONNECTION_CODES.has(error.code ?? '')) {
          settled = true;
          cleanup();
          reject(new StaleConnectionError(error));
          return;
        }
      }
      fail(error);
    });
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });

    const tooLarge = (status: number): HttpRequestError =>
      new HttpRequestError('too_large', `the response from ${host} exceeds ${options.maxBytes} bytes`, { status });

    function readBody(res: IncomingMessage, status: number): void {
      const encoding = (res.headers['content-encoding'] ?? '').trim().toLowerCase() || 'identity';
      const declared = Number(res.headers['content-length']);
      if (encoding === 'identity' && Number.isFinite(declared) && declared > options.maxBytes) {
        fail(tooLarge(status));
        return;
      }
      if (encoding !== 'identity' && !['gzip', 'x-gzip', 'deflate', 'br'].includes(encoding)) {
        fail(
          new HttpRequestError('http_error', `unsupported content-encoding ${JSON.stringify(encoding)}`, { status }),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let decoded = 0;
      let wire = 0;
      let pending: Buffer[] = [];
      let ended = false;
      allowance = options.budget?.begin();
      const readOn = (): void => {
        decoder?.resume();
        res.resume();
      };
      const collect = (chunk: Buffer): void => {
        if (settled) return;
        decoded += chunk.length;
        if (decoded > options.maxBytes) {
          fail(tooLarge(status));
          return;
        }
        chunks.push(chunk);
        if (allowance?.take(chunk.length, readOn) === false) {
          // Past the budget: read on once other bodies are done (the deadline still runs).
          res.pause();
          decoder?.pause();
        }
      };
      const finish = (): void => {
        if (settled) return;
        const body = Buffer.concat(chunks, decoded);
        // The response (and so this closure) may outlive the exchange on its pooled connection: not its chunks.
        chunks.length = 0;
        if (pooled && res.complete) {
          // Read to its end (and decoded, when it was encoded): the agent takes the connection back by itself.
          settled = true;
          allowance?.release();
          signal.removeEventListener('abort', onAbort);
          resolve({ status, headers: res.headers, body });
          return;
        }
        succeed({ status, headers: res.headers, body });
      };
      const feed = (chunk: Buffer): void => {
        if (encoding === 'identity') {
          collect(chunk);
          return;
        }
        if (!decoder) {
          pending.push(chunk);
          const head = Buffer.concat(pending);
          if (head.length < 2 && !ended) return;
          pending = [];
          decoder = createDecoder(encoding, head)!;
          decoder.on('data', collect);
          decoder.on('error', (error: Error) =>
            fail(
              new HttpRequestError('http_error', `could not decode the ${encoding} body from ${host}`, {
                cause: error,
                status,
              }),
            ),
          );
          decoder.on('end', finish);
          chunk = head;
        }
        if (!decoder.write(chunk)) {
          res.pause();
          decoder.once('drain', () => res.resume());
        }
      };
      res.on('data', (chunk: Buffer) => {
        wire += chunk.length;
        if (wire > options.maxBytes) fail(tooLarge(status));
        else feed(chunk);
      });
      res.on('end', () => {
        ended = true;
        if (encoding === 'identity') finish();
        else if (!decoder && pending.length === 0) finish();
        else {
          if (!decoder) feed(Buffer.alloc(0));
          decoder?.end();
        }
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new Error(`the connection closed before the response from ${host} was complete`));
      });
    }

    request.end(body);
  });
}

/**
 * One `exchange` (`send`), sent again when its pooled connection turns out closed by the server, as long as
 * repeating it is harmless (GET, HEAD): the agent then hands it another idle connection, or opens one.
 */
async function onLiveConnection(method: string, host: string, send: () => Promise<Hop>): Promise<Hop> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof StaleConnectionError)) throw error;
      if ((method !== 'GET' && method !== 'HEAD') || attempt === MAX_STALE_CONNECTIONS) {
        throw toHttpRequestError(error.original, host);
      }
    }
  }
}

/** Pooled connections found closed that one request tries before it fails. */
const MAX_STALE_CONNECTIONS = 3;

/**
 * Sends one request through the network guard under one deadline and returns the response with its decoded body,
 * following redirects when asked. Every failure is an `HttpRequestError` carrying a contract code. Without agents
 * no connection outlives the call; with them, a GET or HEAD whose pooled connection turns out closed by the server
 * is sent once more.
 */
export async function sendHttpRequest(options: HttpRequestOptions): Promise<HttpResponse> {
  const deadlineAt = options.deadlineAt ?? Date.now() + options.timeoutMs;
  const followRedirects = options.followRedirects ?? true;
  const maxRedirects = options.maxRedirects ?? 5;
  let url = parseHttpUrl(options.url);
  let method: string = options.method ?? 'GET';
  let body = options.body;
  const headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    'accept-encoding': 'gzip, deflate, br',
    ...lowerCaseKeys(options.headers ?? {}),
  };
  const redirects: RedirectHop[] = [];

  const remaining = deadlineAt - Date.now();
  if (remaining <= 0) throw new HttpRequestError('timeout', `no time left to request ${url.host}`);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), remaining);
  try {
    for (;;) {
      try {
        options.guard.assertHostAllowed(url.hostname);
      } catch (error) {
        throw toHttpRequestError(error, url.host);
      }
      const hop = await onLiveConnection(method, url.host, () =>
        exchange(url, method, headers, body, options, controller.signal),
      );
      const location = hop.headers.location;
      if (!followRedirects || !REDIRECT_STATUSES.has(hop.status) || location === undefined) {
        return { status: hop.status, headers: hop.headers, url: url.href, redirects, body: hop.body };
      }
      if (redirects.length >= maxRedirects) {
        throw new HttpRequestError('too_many_redirects', `more than ${maxRedirects} redirects from ${options.url}`, {
          status: hop.status,
        });
      }
      let next: URL;
      try {
        next = parseHttpUrl(location, url);
      } catch (error) {
        const cause = error as HttpRequestError;
        throw new HttpRequestError(cause.code, `redirect to an unusable location: ${cause.message}`, {
          cause,
          status: hop.status,
        });
      }
      redirects.push({ status: hop.status, from: url.href, to: next.href });
      if (hop.status === 303 || ((hop.status === 301 || hop.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
        delete headers['content-length'];
      }
      url = next;
    }
  } finally {
    clearTimeout(timer);
  }
}

function lowerCaseKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key.toLowerCase(), value]));
}

/** Seconds to wait from a Retry-After header (delay-seconds or HTTP-date), if it can be read. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** One response header's value (the first, when it came more than once). */
export function header(response: Pick<HttpResponse, 'headers'>, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
