/*
 * The management API's requests and answers as plain values, free of any HTTP framework: `serve` builds them
 * from Node's HTTP server, the Lambda entry from API Gateway's events.
 */

import { ApiError } from './errors.js';

/** The largest request body the API reads: a body above it is answered 413 (and not read further). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiRequest {
  readonly method: string;
  /** The path as it arrived, still percent-encoded, without the query. */
  readonly path: string;
  /** Every value of each query parameter, decoded. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** Header names in lower case; a repeated header's values joined with ", ". */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON text of the answer; empty for 204. */
  readonly body: string;
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function noContent(): ApiResponse {
  return { status: 204, headers: { 'cache-control': 'no-store' }, body: '' };
}

export function errorResponse(error: ApiError): ApiResponse {
  return jsonResponse(
    error.status,
    { error: { code: error.code, message: error.message, ...error.details } },
    error.headers,
  );
}

/** The 413 answer, also given by a transport that stops reading a body as soon as it is too large. */
export function bodyTooLarge(): ApiResponse {
  return errorResponse(
    new ApiError(413, 'body_too_large', `the request body is larger than ${MAX_BODY_BYTES} bytes (1 MiB)`),
  );
}

/** A query string's parameters as `ApiRequest.query` holds them. */
export function parseQueryString(search: string): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(search)) (query[name] ??= []).push(value);
  return query;
}
