import fc from 'fast-check';
import { decodeCursor, encodeCursor, type Cursor, type PagePosition } from '../../../src/domain/cursor.js';
import { InvalidCursorError } from '../../../src/domain/errors.js';

const tokenOf = (json: unknown): string => `c1.${Buffer.from(JSON.stringify(json), 'utf8').toString('base64url')}`;

function refusal(token: string, scope = 'feeds'): InvalidCursorError {
  try {
    decodeCursor(token, scope);
  } catch (error) {
    if (error instanceof InvalidCursorError) return error;
    throw error;
  }
  throw new Error(`${token} was accepted`);
}

const anyScope = fc.string({ unit: 'grapheme', maxLength: 40 });
const anyValue = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
);
const anyPosition: fc.Arbitrary<PagePosition> = fc.dictionary(fc.string({ maxLength: 12 }), anyValue, {
  minKeys: 1,
  maxKeys: 4,
  noNullPrototype: true,
});

describe('encodeCursor / decodeCursor', () => {
  it('gives back the scope and position it was given, for any of them', () => {
    fc.assert(
      fc.property(anyScope, anyPosition, (scope, position) => {
        // Act
        const token = encodeCursor({ scope, position });
        const decoded = decodeCursor(token, scope);

        // Assess
        expect(decoded).toEqual<Cursor>({ scope, position });
      }),
      { numRuns: 300 },
    );
  });

  it('makes tokens that travel in a URL or a queue message unescaped', () => {
    fc.assert(
      fc.property(anyScope, anyPosition, (scope, position) => {
        expect(encodeCursor({ scope, position })).toMatch(/^c1\.[A-Za-z0-9_-]+$/);
      }),
    );
  });

  it('round-trips a DynamoDB-like key with a numeric sort key', () => {
    const cursor: Cursor = { scope: 'subscribers:feed1', position: { pk: 'feed#feed1', sk: 1735689600123 } };
    expect(decodeCursor(encodeCursor(cursor), 'subscribers:feed1')).toEqual(cursor);
  });
});

describe('decodeCursor', () => {
  describe('refuses a malformed token with an InvalidCursorError that says what is wrong', () => {
    it.each([
      ['garbage', 'hello world', /not a feedrelay cursor/],
      ['the empty string', '', /not a feedrelay cursor/],
      ['a token of another prefix', `c2.${Buffer.from('{"v":1}').toString('base64url')}`, /expected a "c1\." token/],
      ['a body that is not base64url', 'c1.abc+/==', /not base64url/],
      ['an empty body', 'c1.', /not base64url/],
      ['a body that is not JSON', `c1.${Buffer.from('{not json').toString('base64url')}`, /does not decode to JSON/],
      ['a body that decodes to nothing', 'c1.A', /does not decode to JSON/],
    ])('%s', (_what, token, message) => {
      // Act
      const error = refusal(token);

      // Assess
      expect(error.code).toBe('invalid_cursor');
      expect(error.message).toMatch(message);
    });

    it.each([
      ['a JSON array', [1, 2]],
      ['JSON null', null],
      ['a JSON string', 'feeds'],
      ['a JSON number', 1],
    ])('JSON that is not an object: %s', (_what, json) => {
      expect(refusal(tokenOf(json)).message).toMatch(/cursor/);
    });

    it.each([
      ['another version', { v: 2, s: 'feeds', p: { id: 'a' } }],
      ['no version', { s: 'feeds', p: { id: 'a' } }],
      ['a version spelled as a string', { v: '1', s: 'feeds', p: { id: 'a' } }],
    ])('%s', (_what, json) => {
      expect(refusal(tokenOf(json)).message).toBe('unsupported cursor version');
    });

    it.each([
      ['no scope', { v: 1, p: { id: 'a' } }],
      ['a scope that is not a string', { v: 1, s: 7, p: { id: 'a' } }],
    ])('%s', (_what, json) => {
      expect(refusal(tokenOf(json)).message).toBe('cursor has no scope');
    });

    it('a cursor of another scan, naming both scans', () => {
      // Prepare
      const token = encodeCursor({ scope: 'subscribers:f1', position: { id: 'a' } });

      // Act
      const error = refusal(token, 'feeds');

      // Assess
      expect(error.message).toBe('cursor belongs to scan "subscribers:f1", not "feeds"');
    });

    it.each([
      ['no position', { v: 1, s: 'feeds' }],
      ['an empty position', { v: 1, s: 'feeds', p: {} }],
      ['a position that is an array', { v: 1, s: 'feeds', p: ['a'] }],
      ['a position that is a string', { v: 1, s: 'feeds', p: 'a' }],
      ['nested values', { v: 1, s: 'feeds', p: { id: { S: 'a' } } }],
      ['array values', { v: 1, s: 'feeds', p: { id: ['a'] } }],
      ['null values', { v: 1, s: 'feeds', p: { id: null } }],
      ['boolean values', { v: 1, s: 'feeds', p: { id: true } }],
    ])('%s', (_what, json) => {
      expect(refusal(tokenOf(json)).message).toBe('cursor position is malformed');
    });

    it('a token that is not a string at all', () => {
      expect(refusal(42 as unknown as string).message).toMatch(/not a feedrelay cursor/);
    });
  });

  it('answers any token with a cursor of the expected scope or an InvalidCursorError, never anything else', () => {
    const anyToken = fc.oneof(
      fc.string(),
      fc.string().map((s) => `c1.${s}`),
      fc.uint8Array({ maxLength: 60 }).map((bytes) => `c1.${Buffer.from(bytes).toString('base64url')}`),
      fc.jsonValue().map(tokenOf),
      fc.record({ v: fc.constantFrom(1, 2), s: fc.constantFrom('feeds', 'x'), p: fc.jsonValue() }).map(tokenOf),
    );
    fc.assert(
      fc.property(anyToken, (token) => {
        // Act
        let outcome: unknown;
        try {
          outcome = decodeCursor(token, 'feeds');
        } catch (error) {
          outcome = error;
        }

        // Assess
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(InvalidCursorError);
        else expect((outcome as Cursor).scope).toBe('feeds');
      }),
      { numRuns: 500 },
    );
  });
});
