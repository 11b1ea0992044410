import { InvalidCursorError } from './errors.js';

/** A position in a paginated scan, as the page reader gave it: plain string or number attributes. */
export type PagePosition = Readonly<Record<string, string | number>>;

/**
 * A cursor is an opaque, versioned token for a page position inside one scan (its `scope`, such as `feeds`
 * or `subscribers:<feedId>`). Decoding a token that is malformed, of another version or of another scan is
 * an `InvalidCursorError`: a scan never silently restarts from the beginning.
 */
export interface Cursor {
  readonly scope: string;
  readonly position: PagePosition;
}

const PREFIX = 'c1.';

export function encodeCursor(cursor: Cursor): string {
  const json = JSON.stringify({ v: 1, s: cursor.scope, p: cursor.position });
  return PREFIX + Buffer.from(json, 'utf8').toString('base64url');
}

export function decodeCursor(token: string, expectedScope: string): Cursor {
  if (typeof token !== 'string' || !token.startsWith(PREFIX)) {
    throw new InvalidCursorError(`not a feedrelay cursor (expected a "${PREFIX}" token)`);
  }
  const body = token.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw new InvalidCursorError('cursor is not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new InvalidCursorError('cursor does not decode to JSON', { cause });
  }
  if (!isRecord(parsed) || parsed.v !== 1) throw new InvalidCursorError('unsupported cursor version');
  if (typeof parsed.s !== 'string') throw new InvalidCursorError('cursor has no scope');
  if (parsed.s !== expectedScope) {
    throw new InvalidCursorError(`cursor belongs to scan "${parsed.s}", not "${expectedScope}"`);
  }
  const position = parsed.p;
  if (
    !isRecord(position) ||
    Object.keys(position).length === 0 ||
    !Object.values(position).every((v) => typeof v === 'string' || typeof v === 'number')
  ) {
    throw new InvalidCursorError('cursor position is malformed');
  }
  return { scope: parsed.s, position: position as PagePosition };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
