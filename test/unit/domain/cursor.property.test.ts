import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { feedsScope, subscribersScope } from '../../../src/application/work-plans.js';
import { decodeCursor, encodeCursor, type PagePosition } from '../../../src/domain/cursor.js';
import { InvalidCursorError } from '../../../src/domain/errors.js';

/*
 * Cursor round trips on the scopes the relays really use (a feed scan segment, a subscriber shard) and the
 * positions DynamoDB really hands back (key attributes, strings or numbers): what is encoded decodes to itself,
 * and a cursor that is not exactly one of ours, for this scan, is refused with an InvalidCursorError.
 */

const anyFeedId = fc.string({ minLength: 1, maxLength: 24, unit: 'grapheme' });
/** The scope of one relay chain, as the use cases name it. */
const anyScope: fc.Arbitrary<string> = fc.oneof(
  fc
    .integer({ min: 1, max: 64 })
    .chain((segments) => fc.integer({ min: 0, max: segments - 1 }).map((segment) => feedsScope(segment, segments))),
  fc.tuple(anyFeedId, fc.integer({ min: 0, max: 511 })).map(([feedId, shard]) => subscribersScope(feedId, shard)),
);
/** A LastEvaluatedKey as a page position: the key attributes of the feeds or the subscriptions table. */
const anyPosition: fc.Arbitrary<PagePosition> = fc.oneof(
  fc.record({ feedId: anyFeedId }),
  fc.record({ feedShard: anyFeedId, subscriptionId: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }) }),
  fc.record({ feedId: anyFeedId, n: fc.integer() }),
);

/** The error `decodeCursor` throws for `token`, or undefined when it accepts it. */
function refusalOf(token: string, scope: string): InvalidCursorError | undefined {
  try {
    decodeCursor(token, scope);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidCursorError) return error;
    throw error;
  }
}

describe('a relay cursor', () => {
  it('decodes to the scope and position it was encoded from, and encodes back to the same token', () => {
    fc.assert(
      fc.property(anyScope, anyPosition, (scope, position) => {
        // Act
        const token = encodeCursor({ scope, position });
        const decoded = decodeCursor(token, scope);

        // Assess
        expect(decoded).toEqual({ scope, position });
        expect(encodeCursor(decoded)).toBe(token);
      }),
      { numRuns: 300 },
    );
  });

  it('is refused by every other scan, with an InvalidCursorError naming both scans', () => {
    fc.assert(
      fc.property(anyScope, anyScope, anyPosition, (scope, other, position) => {
        // Prepare
        fc.pre(scope !== other);
        const token = encodeCursor({ scope, position });

        // Act
        const error = refusalOf(token, other);

        // Assess
        expect(error?.code).toBe('invalid_cursor');
        expect(error?.message).toBe(`cursor belongs to scan "${scope}", not "${other}"`);
      }),
      { numRuns: 300 },
    );
  });

  it('is refused when cut short anywhere', () => {
    fc.assert(
      fc.property(anyScope, anyPosition, fc.nat(), (scope, position, cut) => {
        // Prepare
        const token = encodeCursor({ scope, position });
        const truncated = token.slice(0, cut % token.length);

        // Act / Assess
        expect(refusalOf(truncated, scope)).toBeInstanceOf(InvalidCursorError);
      }),
      { numRuns: 300 },
    );
  });

  it('is refused, or read within its own scan, when one character of it is changed', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    fc.assert(
      fc.property(
        anyScope,
        anyPosition,
        fc.nat(),
        fc.constantFrom(...alphabet.split('')),
        (scope, position, at, replacement) => {
          // Prepare
          const token = encodeCursor({ scope, position });
          const index = at % token.length;
          fc.pre(token[index] !== replacement);
          const tampered = token.slice(0, index) + replacement + token.slice(index + 1);

          // Act
          let outcome: unknown;
          try {
            outcome = decodeCursor(tampered, scope);
          } catch (error) {
            outcome = error;
          }

          // Assess: never another scan's position, never an error of another kind.
          if (outcome instanceof Error) expect(outcome).toBeInstanceOf(InvalidCursorError);
          else expect(outcome).toMatchObject({ scope });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is refused when it is of another version', () => {
    fc.assert(
      fc.property(
        anyScope,
        anyPosition,
        fc.integer().filter((v) => v !== 1),
        (scope, position, version) => {
          // Prepare
          const token = `c1.${Buffer.from(JSON.stringify({ v: version, s: scope, p: position })).toString('base64url')}`;

          // Act / Assess
          expect(refusalOf(token, scope)?.message).toBe('unsupported cursor version');
        },
      ),
      { numRuns: 100 },
    );
  });
});
