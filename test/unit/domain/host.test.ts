import { concernsHost, hostHoldAfter, hostOf, isHeld, MAX_HOST_HOLD_SECONDS } from '../../../src/domain/host.js';
import type { FetchOutcome } from '../../../src/domain/feed.js';

const NOW = new Date('2026-01-05T10:00:00Z');
const POLICY = { maxBackoffSeconds: 86_400 };
const failure = (code: string, extra: Partial<Extract<FetchOutcome, { kind: 'failed' }>> = {}) =>
  ({ kind: 'failed', code, message: `${code} happened`, ...extra }) as Extract<FetchOutcome, { kind: 'failed' }>;

describe('hostOf', () => {
  it('is the lower-case host with any explicit port', () => {
    expect(hostOf('https://Feeds.Example.com/a.xml')).toBe('feeds.example.com');
    expect(hostOf('http://127.0.0.1:8080/a.xml')).toBe('127.0.0.1:8080');
  });
});

describe('concernsHost', () => {
  it.each(['rate_limited', 'timeout', 'connect_error'])('holds the host after %s', (code) => {
    expect(concernsHost(failure(code))).toBe(true);
  });

  it('holds the host when the fetcher says the host as a whole failed (a 503 without Retry-After)', () => {
    expect(concernsHost(failure('http_error', { hostWide: true }))).toBe(true);
  });

  it.each(['http_error', 'not_a_feed', 'parse_error', 'dns_error', 'too_large'])(
    'leaves the host alone after %s, which concerns one feed',
    (code) => {
      expect(concernsHost(failure(code))).toBe(false);
    },
  );

  it('leaves the host alone after a success', () => {
    expect(concernsHost({ kind: 'notModified' })).toBe(false);
  });
});

describe('hostHoldAfter', () => {
  it('holds the host as long as its Retry-After says', () => {
    const hold = hostHoldAfter('a.example', failure('rate_limited', { retryAfterSeconds: 120 }), 1, NOW, POLICY);
    expect(hold).toEqual({
      host: 'a.example',
      until: new Date(NOW.getTime() + 120_000).toISOString(),
      reason: 'rate_limited: rate_limited happened',
    });
  });

  it('holds a host without Retry-After by the back-off, longer as the failures accumulate', () => {
    const first = hostHoldAfter('a.example', failure('timeout'), 1, NOW, POLICY);
    const fifth = hostHoldAfter('a.example', failure('timeout'), 5, NOW, POLICY);
    expect(Date.parse(first.until) - NOW.getTime()).toBeGreaterThanOrEqual(45_000);
    expect(Date.parse(fifth.until)).toBeGreaterThan(Date.parse(first.until));
  });

  it('holds a host without Retry-After for a quarter of an hour at most, however long its feed has failed', () => {
    const hold = hostHoldAfter('a.example', failure('timeout'), 40, NOW, POLICY);
    expect(Date.parse(hold.until) - NOW.getTime()).toBe(MAX_HOST_HOLD_SECONDS * 1000);
  });

  it('never holds a host longer than the cap, whatever it asks', () => {
    const hold = hostHoldAfter('a.example', failure('rate_limited', { retryAfterSeconds: 10 ** 9 }), 1, NOW, POLICY);
    expect(Date.parse(hold.until) - NOW.getTime()).toBe(86_400_000);
  });
});

describe('isHeld', () => {
  it('holds until the instant of its end', () => {
    const hold = { until: new Date(NOW.getTime() + 1000).toISOString() };
    expect(isHeld(hold, NOW)).toBe(true);
    expect(isHeld(hold, new Date(NOW.getTime() + 1000))).toBe(false);
    expect(isHeld(undefined, NOW)).toBe(false);
  });
});
