import type { ParsedFeed } from '../../domain/article.js';

export const FETCH_ERROR_CODES = [
  'invalid_url',
  'unsupported_scheme',
  'blocked_address',
  'dns_error',
  'connect_error',
  'tls_error',
  'timeout',
  'too_large',
  'too_many_redirects',
  'http_error',
  'rate_limited',
  'gone',
  'not_a_feed',
  'parse_error',
] as const;
export type FetchErrorCode = (typeof FETCH_ERROR_CODES)[number];

export interface FetchRequest {
  readonly url: string;
  readonly etag?: string;
  readonly lastModified?: string;
}

export interface FetchFailure {
  readonly code: FetchErrorCode;
  readonly message: string;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  /** The host as a whole asked to slow down or did not answer (429, 503, time-out, refused connection). */
  readonly hostWide?: boolean;
}

interface FetchedCommon {
  readonly status: number;
  /** The final URL after redirects. */
  readonly url: string;
  /** The new URL when the chain passed a 301 or 308. */
  readonly permanentRedirect?: string;
  readonly etag?: string;
  readonly lastModified?: string;
  /** How long the answer may be reused: `Cache-Control: max-age` (or `s-maxage`), else `Expires` − `Date`. */
  readonly freshForSeconds?: number;
}

export type FetchResult =
  | (FetchedCommon & { readonly kind: 'fetched'; readonly document: ParsedFeed })
  | (FetchedCommon & { readonly kind: 'notModified' })
  | { readonly kind: 'failed'; readonly error: FetchFailure };

/** Fetches one feed (conditionally, when validators are given) and parses it. Expected failures are values. */
export interface FeedFetcher {
  fetch(request: FetchRequest): Promise<FetchResult>;
}
