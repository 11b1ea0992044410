import { inject, injectable } from 'inversify';
import type {
  FeedFetcher,
  FetchFailure,
  FetchRequest,
  FetchResult,
} from '../../application/ports/feed-fetcher.port.js';
import type { FeedParser, ParseResult } from '../../application/ports/feed-parser.port.js';
import { BodyBudget } from './body-budget.js';
import { HttpRequestError, InvalidFetchOptionError } from './errors.js';
import {
  header,
  keepAliveAgents,
  parseRetryAfter,
  sendHttpRequest,
  type HttpAgents,
  type HttpResponse,
  type RedirectHop,
} from './http-client.js';

import { NetworkGuard } from './network-guard.js';
import { FEED_PARSER, HTTP_FETCH_OPTIONS, type HttpFetchOptions } from './tokens.js';

export const DEFAULT_HTTP_FETCH_OPTIONS = {
  timeoutMs: 10_000,
  maxBytes: 5 * 1024 * 1024,
  maxBytesAtOnce: 128 * 1024 * 1024,
  maxRedirects: 5,
  allowedNetworks: [] as readonly string[],
} as const satisfies Required<HttpFetchOptions>;

const FEED_ACCEPT = [
  'application/rss+xml',
  'application/atom+xml',
  'application/feed+json',
  'application/rdf+xml;q=0.9',
  'application/xml;q=0.9',
  'text/xml;q=0.9',
  'application/json;q=0.8',
  'text/html;q=0.5',
  '*/*;q=0.1',
].join(', ');

/** The target of the last 301/308 of a redirect chain: where the requested URL now lives. */
function permanentTarget(redirects: readonly RedirectHop[], requested: string): string | undefined {
  const hop = [...redirects].reverse().find((r) => r.status === 301 || r.status === 308);
  return hop && hop.to !== requested ? hop.to : undefined;
}

/**
 * How long an answer may be reused, in seconds: `Cache-Control` `s-maxage` or `max-age` (0 for `no-cache` and
 * `no-store`), else `Expires` less the answer's `Date` (an unreadable `Expires` is already expired); undefined
 * when the answer says nothing.
 */
export function freshnessOf(response: Pick<HttpResponse, 'headers'>, receivedAt = Date.now()): number | undefined {
  const cacheControl = header(response, 'cache-control');
  if (cacheControl !== undefined) {
    const directives = new Map(
      cacheControl.split(',').map((part) => {
        const [name = '', value] = part.trim().split('=', 2);
        return [name.trim().toLowerCase(), value?.trim().replace(/^"|"$/g, '')] as const;
      }),
    );
    if (directives.has('no-store') || directives.has('no-cache')) return 0;
    for (const name of ['s-maxage', 'max-age']) {
      const seconds = Number(directives.get(name));
      if (directives.has(name) && Number.isFinite(seconds)) return Math.max(0, Math.floor(seconds));
    }
  }
  const expires = header(response, 'expires');
  if (expires === undefined) return undefined;
  const until = Date.parse(expires);
  if (Number.isNaN(until)) return 0;
  const date = Date.parse(header(response, 'date') ?? '');
  return Math.max(0, Math.floor((until - (Number.isNaN(date) ? receivedAt : date)) / 1000));
}

function failed(error: FetchFailure): FetchResult {
  return { kind: 'failed', error };
}

/**
 * How long a connection to a feed's host is kept after its request, for the next feed of that host: long
 * enough for a crawl's feeds that share a host (a platform's, a publisher's) to go over one connection
 * (and one TLS handshake), short enough that a crawl of many hosts keeps few idle connections (about its
 * fetches a second × this, and `MAX_IDLE_FEED_CONNECTIONS` at most).
 */
export const FEED_CONNECTION_IDLE_MS = 500;
/** Idle connections kept per host: as many as a host's feeds are fetched at once, usually. */
const IDLE_CONNECTIONS_PER_HOST = 16;
/**
 * Idle connections kept over all hosts: an invocation's feeds (1,000 in Lambda) may each be on a host of its
 * own and answer fast, and the fetches under way, the idle connections and the SDK's must stay under Lambda's
 * 1,024 file descriptors.
 */
export const MAX_IDLE_FEED_CONNECTIONS = 200;

/**
 * Fetches feeds over HTTP(S) behind the network guard: conditional GET, one deadline and one size cap for the
 * whole exchange, one byte budget over the bodies of all fetches under way (`maxBytesAtOnce`), redirects
 * reported when permanent, HTML pages followed once to the feed they advertise.
 * Connections are kept alive for the next feed of the same host, `FEED_CONNECTION_IDLE_MS` at most; how many
 * requests a host gets at once is the politeness's business (`PoliteHosts`), not the pool's.
 */
@injectable()
export class HttpFeedFetcher implements FeedFetcher {
  private readonly options: Required<HttpFetchOptions>;
  private readonly guard: NetworkGuard;
  private readonly budget: BodyBudget;
  private readonly agents: HttpAgents = keepAliveAgents(Infinity, {
    idleMs: FEED_CONNECTION_IDLE_MS,
    maxFreeSockets: IDLE_CONNECTIONS_PER_HOST,
    maxIdleSockets: MAX_IDLE_FEED_CONNECTIONS,
  });

  constructor(
    @inject(HTTP_FETCH_OPTIONS) options: HttpFetchOptions,
    @inject(FEED_PARSER) private readonly parser: FeedParser,
  ) {
    this.options = validated({ ...DEFAULT_HTTP_FETCH_OPTIONS, ...stripUndefined(options) });
    this.guard = NetworkGuard.fromList(this.options.allowedNetworks);
    this.budget = new BodyBudget(this.options.maxBytesAtOnce);
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const deadlineAt = Date.now() + this.options.timeoutMs;
    try {
      const response = await this.get(request.url, request, deadlineAt);
      const permanentRedirect = permanentTarget(response.redirects, request.url);
      const result = this.interpret(response, request, permanentRedirect);
      if (result.kind !== 'discovered') return result;
      const alternate = await this.get(result.alternate, request, deadlineAt);
      const outcome = this.interpret(alternate, request, permanentRedirect);
      if (outcome.kind !== 'discovered') return outcome;
      return failed({
        code: 'not_a_feed',
        message: `${result.alternate} is not a feed either`,
        status: alternate.status,
      });
    } catch (error) {
      return failed(toFailure(error));
    }
  }

  private get(url: string, request: FetchRequest, deadlineAt: number): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: FEED_ACCEPT };
    if (request.etag) headers['if-none-match'] = request.etag;
    if (request.lastModified) headers['if-modified-since'] = request.lastModified;
    return sendHttpRequest({
      url,
      method: 'GET',
      headers,
      guard: this.guard,
      timeoutMs: this.options.timeoutMs,
      deadlineAt,
      maxBytes: this.options.maxBytes,
      budget: this.budget,
      maxRedirects: this.options.maxRedirects,
      agents: this.agents,
    });
  }

  private parse(response: HttpResponse): ParseResult {
    try {
      return this.parser.parse({
        bytes: response.body,
        url: response.url,
        ...defined({ contentType: header(response, 'content-type') }),
      });
    } catch (error) {
      // The port promises never to throw; should a parser break that promise, the document is what failed.
      return { ok: false, code: 'parse_error', message: error instanceof Error ? error.message : String(error) };
    }
  }

  private interpret(
    response: HttpResponse,
    request: FetchRequest,
    permanentRedirect: string | undefined,
  ): FetchResult | { readonly kind: 'discovered'; readonly alternate: string } {
    const { status } = response;
    const freshForSeconds = freshnessOf(response);
    const common = {
      status,
      url: response.url,
      ...(permanentRedirect === undefined ? {} : { permanentRedirect }),
      ...(freshForSeconds === undefined ? {} : { freshForSeconds }),
    };
    if (status === 304) {
      const etag = header(response, 'etag') ?? request.etag;
      const lastModified = header(response, 'last-modified') ?? request.lastModified;
      return { kind: 'notModified', ...common, ...defined({ etag, lastModified }) };
    }
    if (status >= 200 && status < 300) {
      const parsed = this.parse(response);
      if (parsed.ok) {
        const validators = defined({ etag: header(response, 'etag'), lastModified: header(response, 'last-modified') });
        return { kind: 'fetched', ...common, ...validators, document: parsed.feed };
      }
      if (parsed.code === 'not_a_feed' && parsed.alternate !== undefined) {
        try {
          return { kind: 'discovered', alternate: new URL(parsed.alternate, response.url).href };
        } catch {
          // An unreadable alternate link leaves the page what it is: not a feed.
        }
      }
      return failed({ code: parsed.code, message: parsed.message, status });
    }
    if (status === 410) return failed({ code: 'gone', message: `${response.url} is gone`, status });
    const retryAfterSeconds = parseRetryAfter(header(response, 'retry-after'));
    if (status === 429 || (status === 503 && retryAfterSeconds !== undefined)) {
      return failed({
        code: 'rate_limited',
        message: `${response.url} asks to slow down`,
        status,
        hostWide: true,
        ...defined({ retryAfterSeconds }),
      });
    }
    return failed({
      code: 'http_error',
      message: `${response.url} answered with status ${status}`,
      status,
      // A 503 is the server as a whole being unavailable, not this feed.
      ...(status === 503 ? { hostWide: true } : {}),
    });
  }
}

/** Failures of the host as a whole: it did not answer in time, or refused the connection. */
const HOST_WIDE_FAILURES: ReadonlySet<string> = new Set(['timeout', 'connect_error']);

function toFailure(error: unknown): FetchFailure {
  if (error instanceof HttpRequestError) {
    return {
      code: error.code,
      message: error.message,
      ...defined({ status: error.status }),
      ...(HOST_WIDE_FAILURES.has(error.code) ? { hostWide: true } : {}),
    };
  }
  return { code: 'connect_error', message: error instanceof Error ? error.message : String(error), hostWide: true };
}

function defined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function validated(options: Required<HttpFetchOptions>): Required<HttpFetchOptions> {
  const check = (name: keyof HttpFetchOptions, min: number, expected: string): void => {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new InvalidFetchOptionError(name, value, expected);
    }
  };
  check('timeoutMs', 1, 'a positive whole number of milliseconds');
  check('maxBytes', 1, 'a positive whole number of bytes');
  check('maxBytesAtOnce', 1, 'a positive whole number of bytes');
  check('maxRedirects', 0, 'a whole number from 0');
  return options;
}

function stripUndefined(options: HttpFetchOptions): HttpFetchOptions {
  return defined({ ...options }) as HttpFetchOptions;
}
