import fc from 'fast-check';
import {
  backoffSeconds,
  cappedBackoffSeconds,
  firstAllowedTime,
  nextFetchAfterSuccess,
  retryDelaySeconds,
  type SchedulePolicy,
} from '../../../src/domain/schedule.js';

/** A Monday, 10:00 GMT. */
const NOW = new Date('2026-01-05T10:00:00Z');
const later = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000);

const POLICY: SchedulePolicy = {
  minIntervalSeconds: 0,
  maxIntervalSeconds: 86_400,
  hintFloorSeconds: 900,
  maxBackoffSeconds: 86_400,
};
const policy = (overrides: Partial<SchedulePolicy>): SchedulePolicy => ({ ...POLICY, ...overrides });

describe('nextFetchAfterSuccess', () => {
  it('leaves a feed without hints due at the next run (nothing to write)', () => {
    expect(nextFetchAfterSuccess(NOW, {}, undefined, POLICY)).toBeUndefined();
  });

  it('waits as long as Cache-Control max-age (or Expires) says', () => {
    expect(nextFetchAfterSuccess(NOW, { freshForSeconds: 3600 }, undefined, POLICY)).toEqual(later(3600));
  });

  it('waits as long as the RSS ttl says', () => {
    expect(nextFetchAfterSuccess(NOW, {}, { ttlMinutes: 120 }, POLICY)).toEqual(later(7200));
  });

  it('takes the longer of the header and the document', () => {
    expect(nextFetchAfterSuccess(NOW, { freshForSeconds: 1800 }, { ttlMinutes: 60 }, POLICY)).toEqual(later(3600));
  });

  it('ignores a hint shorter than the floor: the next run comes no sooner anyway', () => {
    expect(nextFetchAfterSuccess(NOW, { freshForSeconds: 300 }, { ttlMinutes: 5 }, POLICY)).toBeUndefined();
  });

  it('never waits less than the minimum interval, hints or not', () => {
    expect(nextFetchAfterSuccess(NOW, {}, undefined, policy({ minIntervalSeconds: 1800 }))).toEqual(later(1800));
    expect(
      nextFetchAfterSuccess(NOW, { freshForSeconds: 300 }, undefined, policy({ minIntervalSeconds: 1800 })),
    ).toEqual(later(1800));
  });

  it('never waits longer than the maximum interval, however long the hints', () => {
    const capped = policy({ maxIntervalSeconds: 6 * 3600 });
    expect(nextFetchAfterSuccess(NOW, { freshForSeconds: 365 * 86_400 }, undefined, capped)).toEqual(later(6 * 3600));
    expect(nextFetchAfterSuccess(NOW, {}, { ttlMinutes: 10_000 }, capped)).toEqual(later(6 * 3600));
  });

  it('moves the next fetch out of skipped hours to the first hour allowed', () => {
    // 10:00 now; the next run (10:15) falls in skipped hour 10, as do 11 and 12.
    const next = nextFetchAfterSuccess(NOW, {}, { skipHours: [10, 11, 12] }, POLICY);
    expect(next).toEqual(new Date('2026-01-05T13:00:00Z'));
  });

  it('moves the next fetch out of skipped days', () => {
    // Monday 10:00 with a ttl of a day: Tuesday is skipped, so Wednesday 00:00.
    const next = nextFetchAfterSuccess(
      NOW,
      {},
      { ttlMinutes: 1440, skipDays: [2] },
      policy({ maxIntervalSeconds: 7 * 86_400 }),
    );
    expect(next).toEqual(new Date('2026-01-07T00:00:00Z'));
  });

  it('keeps a skip within the maximum interval', () => {
    const next = nextFetchAfterSuccess(NOW, {}, { skipHours: [10, 11, 12] }, policy({ maxIntervalSeconds: 3600 }));
    expect(next).toEqual(later(3600));
  });

  it('lies between the bounds for every hint', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 10 ** 8 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 10 ** 6 }), { nil: undefined }),
        fc.array(fc.integer({ min: 0, max: 23 }), { maxLength: 23 }),
        fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 6 }),
        fc.integer({ min: 0, max: 7200 }),
        (freshForSeconds, ttlMinutes, skipHours, skipDays, minIntervalSeconds) => {
          const bounds = policy({ minIntervalSeconds });
          const next = nextFetchAfterSuccess(NOW, { freshForSeconds }, { ttlMinutes, skipHours, skipDays }, bounds);
          const wait = next === undefined ? 0 : (next.getTime() - NOW.getTime()) / 1000;
          expect(wait).toBeGreaterThanOrEqual(minIntervalSeconds);
          expect(wait).toBeLessThanOrEqual(bounds.maxIntervalSeconds);
        },
      ),
    );
  });
});

describe('firstAllowedTime', () => {
  it('keeps a time that no skip covers', () => {
    expect(firstAllowedTime(NOW, { skipHours: [3] })).toEqual(NOW);
    expect(firstAllowedTime(NOW, undefined)).toEqual(NOW);
  });

  it('ignores a document that skips every hour', () => {
    const always = Array.from({ length: 24 }, (_, h) => h);
    expect(firstAllowedTime(NOW, { skipHours: always })).toEqual(NOW);
  });
});

describe('retryDelaySeconds', () => {
  it('doubles with each failure, less a jitter of at most a quarter', () => {
    for (const n of [1, 2, 3, 4, 5]) {
      const wait = retryDelaySeconds('feed-a', n, undefined, POLICY);
      expect(wait).toBeLessThanOrEqual(backoffSeconds(n));
      expect(wait).toBeGreaterThanOrEqual(0.75 * backoffSeconds(n));
    }
  });

  it('spreads feeds that failed together', () => {
    const waits = new Set(Array.from({ length: 20 }, (_, i) => retryDelaySeconds(`feed-${i}`, 6, undefined, POLICY)));
    expect(waits.size).toBeGreaterThan(10);
  });

  it('is the same for the same feed and count (a retried fetch schedules the same)', () => {
    expect(retryDelaySeconds('feed-a', 3, undefined, POLICY)).toBe(retryDelaySeconds('feed-a', 3, undefined, POLICY));
  });

  it('waits at least what Retry-After asks for, within the cap', () => {
    expect(retryDelaySeconds('feed-a', 1, 7200, POLICY)).toBe(7200);
    expect(retryDelaySeconds('feed-a', 1, 10 * 86_400, POLICY)).toBe(86_400);
  });

  it('never gives up: however many failures, the feed is retried within the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 60, max: 7 * 86_400 }), (n, cap) => {
        const wait = retryDelaySeconds('feed-a', n, undefined, policy({ maxBackoffSeconds: cap }));
        expect(wait).toBeGreaterThan(0);
        expect(wait).toBeLessThanOrEqual(cap);
        expect(cappedBackoffSeconds(n, cap)).toBeLessThanOrEqual(cap);
      }),
    );
  });
});
