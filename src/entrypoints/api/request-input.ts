import { decodeCursor, encodeCursor, type PagePosition } from '../../domain/cursor.js';
import { DomainError, excerpt } from '../../domain/errors.js';
import { MAX_BODY_BYTES, type ApiRequest } from './api-http.js';
import { ApiError } from './errors.js';

/*
 * Reading what a request carries — its JSON body, its query, its ids — into checked values, or an `ApiError`
 * (400, 404, 413, 415) whose message names the field at fault.
 */

/** The JSON object a request's body holds. `optional`: an empty body without a content type reads as `{}`. */
export function jsonBody(request: ApiRequest, options: { optional?: boolean } = {}): Record<string, unknown> {
  if (request.body.byteLength > MAX_BODY_BYTES) {
    throw new ApiError(413, 'body_too_large', `the request body is larger than ${MAX_BODY_BYTES} bytes (1 MiB)`);
  }
  const type = request.headers['content-type'];
  if (type === undefined && request.body.byteLength === 0 && options.optional) return {};
  if (type === undefined || !isJsonMediaType(type)) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `the request body must be application/json, not ${type === undefined ? 'untyped' : excerpt(type, 60)}`,
    );
  }
  if (request.body.byteLength === 0 && options.optional) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(request.body);
  } catch {
    throw new ApiError(400, 'invalid_json', 'the request body is not UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'invalid_json', `the request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'invalid_request', 'the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
export function isJsonMediaType(type: string): boolean {
  return type.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

type FieldType = 'string' | 'boolean' | 'number';
type FieldShape = Readonly<Record<string, { readonly type: FieldType; readonly required?: boolean }>>;
type FieldValues<S extends FieldShape> = {
  [K in keyof S]: S[K]['type'] extends 'string' ? string : S[K]['type'] extends 'number' ? number : boolean;
};

/**
 * The fields of a body as `shape` has them: a field it does not name, a required one missing or one of the
 * wrong type is a 400 that names it. Optional fields left out (or null) are absent from the result.
 */
export function fieldsOf<S extends FieldShape>(body: Record<string, unknown>, shape: S): Partial<FieldValues<S>> {
  const expected = Object.entries(shape)
    .map(([name, field]) => `"${name}"${field.required ? '' : '?'}: ${field.type}`)
    .join(', ');
  for (const name of Object.keys(body)) {
    if (!(name in shape)) {
      throw new ApiError(400, 'invalid_request', `unknown field ${excerpt(name, 40)}; expected {${expected}}`);
    }
  }
  const values: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape)) {
    const value = body[name];
    if (value === undefined || value === null) {
      if (field.required) throw new ApiError(400, 'invalid_request', `"${name}" is required; expected {${expected}}`);
      continue;
    }
    if (typeof value !== field.type) {
      throw new ApiError(400, 'invalid_request', `"${name}" must be a ${field.type}, not ${kindOf(value)}`);
    }
    values[name] = value;
  }
  return values as Partial<FieldValues<S>>;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Runs `check`; a `DomainError` it throws becomes a 400 naming `field`, with the error's own code. */
export function inField<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof DomainError) throw new ApiError(400, error.code, `"${field}": ${error.message}`);
    throw error;
  }
}

/** The query parameters a route reads; any other, or one given twice, is a 400 naming it. */
export function queryOf(request: ApiRequest, names: readonly string[]): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const [name, given] of Object.entries(request.query)) {
    if (!names.includes(name)) {
      const accepted = names.length > 0 ? `; accepted: ${names.join(', ')}` : '';
      throw new ApiError(400, 'invalid_request', `unknown query parameter ${excerpt(name, 40)}${accepted}`);
    }
    if (given.length > 1) throw new ApiError(400, 'invalid_request', `query parameter "${name}" is given twice`);
    values[name] = given[0];
  }
  return values;
}

/** A whole number from `min` to `max` from the query (absent: `fallback`); anything else is a 400 naming it. */
export function limitOf(raw: string | undefined, fallback: number, max: number, name = 'limit'): number {
  if (raw === undefined) return fallback;
  const value = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ApiError(
      400,
      'invalid_request',
      `"${name}" must be a whole number from 1 to ${max}, not ${excerpt(raw, 40)}`,
    );
  }
  return value;
}

/** The longest cursor read: far above any the API hands out, and keeps a forged one inside the stores' key limits. */
const MAX_CURSOR_LENGTH = 2048;

/** The position a page's `cursor` stands for, in the scan `scope`; a cursor of another scan is a 400. */
export function positionOf(raw: string | undefined, scope: string): PagePosition | undefined {
  if (raw === undefined) return undefined;
  if (raw.length > MAX_CURSOR_LENGTH) {
    throw new ApiError(400, 'invalid_cursor', `"cursor" is longer than ${MAX_CURSOR_LENGTH} characters`);
  }
  return inField('cursor', () => decodeCursor(raw, scope).position);
}

/** The cursor of the page after this one, or nothing on the last page. */
export function nextOf(position: PagePosition | undefined, scope: string): { next?: string } {
  return position === undefined ? {} : { next: encodeCursor({ scope, position }) };
}

/** Ids are short tokens (hex digests, run ids); anything else names nothing, so it is a 404 of its kind. */
export function idOf(raw: string, what: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(raw)) throw new ApiError(404, 'not_found', `no ${what} ${excerpt(raw, 60)}`);
  return raw;
}
