import { ManagementApiError } from './errors.js';
import type { RequestSigner } from './request-signers.js';

/** What the management API answered: its status and its JSON body (none on 204). */
export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export interface ManagementApiClientOptions {
  /** Bounds each exchange, from sending the request to the last byte of the answer. */
  readonly timeoutMs: number;
  /** The platform's `fetch` unless given. */
  readonly fetch?: typeof fetch;
}

const SOURCE = 'the management API';

/**
 * A client of feedrelay's management API (`feedrelay serve` or API Gateway): JSON in and out, each request
 * signed by a `RequestSigner`, each exchange bounded in time. A 4xx/5xx becomes a `ManagementApiError` with
 * the API's own `{"error": {"code", "message"}}` when it sent one; a refused connection, a time-out or an
 * answer that is not JSON become one with a code of their own.
 */
export class ManagementApiClient {
  private readonly fetch: typeof fetch;

  constructor(
    readonly baseUrl: URL,
    private readonly signer: RequestSigner,
    private readonly options: ManagementApiClientOptions,
  ) {
    this.fetch = options.fetch ?? fetch;
  }

  /**
   * Sends one request. `accept` lists statuses outside 2xx that are answers here (a 404 on a delete: it was
   * not there); any other status outside 2xx throws.
   */
  async request<T = unknown>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { query?: Record<string, string | undefined>; body?: unknown; accept?: readonly number[] } = {},
  ): Promise<ApiAnswer<T>> {
    const url = this.urlOf(path, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers = await this.signer.sign({
      method,
      url,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    // fetch sets Host from the URL itself: the signed value is that one.
    const { host: _host, ...sent } = headers;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, {
        method,
        headers: sent,
        ...(body !== undefined ? { body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw this.transportError(method, url, error);
    }
    const where = `${method} ${url.pathname}`;
    const parsed = parseJson(text);
    const ok = (response.status >= 200 && response.status < 300) || (options.accept ?? []).includes(response.status);
    if (!ok) throw this.failure(where, response.status, parsed);
    if (response.status === 204 || text.trim() === '') return { status: response.status, body: undefined as T };
    if (parsed === undefined) {
      throw new ManagementApiError(
        'bad_response',
        `${where}: ${SOURCE} answered ${response.status} with a body that is not JSON: ${excerptOf(text)}`,
        response.status,
      );
    }
    return { status: response.status, body: parsed as T };
  }

  /**
   * Every item of a paged list (`{"<key>": [...], "next": "C"}`), following `next` until a page has none.
   * A `next` that repeats the cursor just sent would loop forever: it is a `bad_response`.
   */
  async *pages<T>(path: string, key: string, pageSize: number): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const { body } = await this.request<Record<string, unknown>>('GET', path, {
        query: { limit: String(pageSize), cursor },
      });
      const items = body?.[key];
      if (!Array.isArray(items)) {
        throw new ManagementApiError('bad_response', `GET ${path}: expected {"${key}": [...]} from ${SOURCE}`);
      }
      yield* items as T[];
      const next = body.next;
      if (next !== undefined && next !== null && typeof next !== 'string') {
        throw new ManagementApiError('bad_response', `GET ${path}: "next" must be a string cursor`);
      }
      if (next && next === cursor) {
        throw new ManagementApiError('bad_response', `GET ${path}: ${SOURCE} sent the same page cursor twice`);
      }
      cursor = next || undefined;
    } while (cursor !== undefined);
  }

  /** The base URL (which may carry a stage path, `/prod`) joined with a route. */
  private urlOf(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(this.baseUrl);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    url.search = '';
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    return url;
  }

  private failure(where: string, status: number, body: unknown): ManagementApiError {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    // API Gateway's own refusals are {"message": "Forbidden"}; ours {"error": {"code", "message"}}.
    const message =
      typeof error?.message === 'string'
        ? error.message
        : typeof (body as { message?: unknown } | undefined)?.message === 'string'
          ? (body as { message: string }).message
          : `HTTP ${status}`;
    const code = typeof error?.code === 'string' && error.code ? error.code : codeOfStatus(status);
    const refused = status === 401 || status === 403 ? ` (signed with ${this.signer.description})` : '';
    return new ManagementApiError(code, `${where}: ${message}${refused}`, status);
  }

  private transportError(method: string, url: URL, error: unknown): Error {
    if (error instanceof ManagementApiError) return error;
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new ManagementApiError(
        'timeout',
        `${method} ${url.pathname}: no answer from ${url.origin} within ${this.options.timeoutMs} ms`,
        undefined,
        { cause: error },
      );
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code === 'ECONNREFUSED' ? 'connection refused' : (cause?.message ?? (error as Error).message);
    return new ManagementApiError('connect_error', `cannot reach ${url.origin}: ${reason}`, undefined, {
      cause: error,
    });
  }
}

function codeOfStatus(status: number): string {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  return 'http_error';
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function excerptOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 80 ? `${flat.slice(0, 80)}…` : flat);
}
