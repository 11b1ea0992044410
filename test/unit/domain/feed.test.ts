import fc from 'fast-check';
import { InvalidFeedUrlError } from '../../../src/domain/errors.js';
import {
  acceptFeedUrl,
  afterFetch,
  backoffSeconds,
  DEFAULT_SCHEDULE_POLICY,
  MAX_TITLE_LENGTH,
  MAX_URL_LENGTH,
  feedIdFor,
  isDue,
  newFeed,
  normalizeFeedUrl,
  type Feed,
  type FetchChanges,
  type FetchOutcome,
} from '../../../src/domain/feed.js';
import { retryDelaySeconds, type SchedulePolicy } from '../../../src/domain/schedule.js';
import { aFeed, at, T0 } from '../../support/mothers.js';

const policyWith = (overrides: Partial<SchedulePolicy>): SchedulePolicy => ({
  ...DEFAULT_SCHEDULE_POLICY,
  ...overrides,
});

function refusal(raw: string): InvalidFeedUrlError {
  try {
    normalizeFeedUrl(raw);
  } catch (error) {
    if (error instanceof InvalidFeedUrlError) return error;
    throw error;
  }
  throw new Error(`${raw} was accepted`);
}

describe('normalizeFeedUrl', () => {
  it('keeps an absolute https URL with its query and drops the fragment', () => {
    // Act
    const normalized = normalizeFeedUrl('  https://Example.COM/feed.xml?format=rss#latest ');

    // Assess
    expect(normalized).toBe('https://example.com/feed.xml?format=rss');
  });

  it('accepts plain http', () => {
    expect(normalizeFeedUrl('http://example.com/rss')).toBe('http://example.com/rss');
  });

  it.each(['not a url', '/feed.xml', 'example.com/feed.xml', ''])(
    'refuses %j as not an absolute URL, naming what it was given',
    (raw) => {
      // Act
      const error = refusal(raw);

      // Assess
      expect(error.code).toBe('invalid_url');
      expect(error.message).toContain('not an absolute URL');
      expect(error.message).toContain(JSON.stringify(raw));
    },
  );

  it.each(['ftp://example.com/feed.xml', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/xml,<rss/>'])(
    'refuses the non-http scheme of %s, naming the scheme',
    (raw) => {
      // Act
      const error = refusal(raw);

      // Assess
      expect(error.code).toBe('invalid_url');
      expect(error.message).toContain('only http and https');
      expect(error.message).toContain(new URL(raw).protocol);
    },
  );
});

describe('feedIdFor', () => {
  it('gives the same id for every spelling of the same URL', () => {
    // Act
    const ids = [
      feedIdFor('https://example.com/feed.xml'),
      feedIdFor('https://EXAMPLE.com/feed.xml#top'),
      feedIdFor(' https://example.com:443/feed.xml '),
    ];

    // Assess
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f]{24}$/);
  });

  it('is stable from call to call and distinct for distinct URLs', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true }), fc.webUrl(), (a, b) => {
        expect(feedIdFor(a)).toBe(feedIdFor(a));
        if (normalizeFeedUrl(a) !== normalizeFeedUrl(b)) expect(feedIdFor(a)).not.toBe(feedIdFor(b));
      }),
    );
  });

  it('refuses a URL that is not a feed URL', () => {
    expect(() => feedIdFor('mailto:someone@example.com')).toThrow(InvalidFeedUrlError);
  });
});

describe('newFeed', () => {
  it('starts active, error-free and due at once, under the id of its normalized URL', () => {
    // Act
    const feed = newFeed('https://example.com/feed.xml#x', T0, 'Example');

    // Assess
    expect(feed).toEqual({
      id: feedIdFor('https://example.com/feed.xml'),
      url: 'https://example.com/feed.xml',
      title: 'Example',
      nextFetchAt: T0.toISOString(),
      status: 'active',
      errorCount: 0,
      createdAt: T0.toISOString(),
      version: 0,
      subscribers: 0,
    });
    expect(isDue(feed, T0)).toBe(true);
  });
});

describe('isDue', () => {
  it('is due once its next-fetch time has come', () => {
    const feed = aFeed().dueAt(at(60)).build();
    expect(isDue(feed, at(59))).toBe(false);
    expect(isDue(feed, at(60))).toBe(true);
    expect(isDue(feed, at(61))).toBe(true);
  });

  it('is never due when gone', () => {
    const feed = aFeed().dueAt(at(-3600)).gone().build();
    expect(isDue(feed, at(3600))).toBe(false);
  });
});

describe('backoffSeconds', () => {
  it('waits one minute after the first failure and doubles with each further one', () => {
    expect([1, 2, 3, 4, 5].map(backoffSeconds)).toEqual([60, 120, 240, 480, 960]);
  });

  it('waits one minute for a count of zero (never less)', () => {
    expect(backoffSeconds(0)).toBe(60);
  });

  it('never waits longer than a day, however many failures', () => {
    expect(backoffSeconds(12)).toBe(86_400);
    expect(backoffSeconds(2_000)).toBe(86_400);
  });

  it('never shrinks as failures accumulate, and stays between a minute and a day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000 }), (n) => {
        expect(backoffSeconds(n + 1)).toBeGreaterThanOrEqual(backoffSeconds(n));
        expect(backoffSeconds(n)).toBeGreaterThanOrEqual(60);
        expect(backoffSeconds(n)).toBeLessThanOrEqual(86_400);
      }),
    );
  });
});

describe('afterFetch', () => {
  const now = at(600);
  /** The feed with the fetch's update applied, as a commit would store it. */
  const applied = (feed: Feed, outcome: FetchOutcome, changes: FetchChanges = {}): Feed => {
    const { lastError: _replaced, ...rest } = feed;
    return { ...rest, ...afterFetch(feed, outcome, now, changes).update };
  };

  describe('what is worth a write', () => {
    it('writes nothing for a 304 of a healthy feed that is due at every run', () => {
      const feed = aFeed().withEtag('"v1"').build();
      expect(afterFetch(feed, { kind: 'notModified', etag: '"v1"' }, now).changed).toBe(false);
    });

    it('writes a 200 whose document lists nothing new and brings the same validators as nothing either', () => {
      const feed = { ...aFeed().withEtag('"v1"').withTitle('T').build(), seen: 'aaaaaaaaaaaa' };
      const outcome: FetchOutcome = { kind: 'fetched', etag: '"v1"', title: 'T' };
      expect(afterFetch(feed, outcome, now, { seen: 'aaaaaaaaaaaa' }).changed).toBe(false);
    });

    it.each<[string, Feed, FetchOutcome, FetchChanges]>([
      ['a new etag', aFeed().withEtag('"v1"').build(), { kind: 'notModified', etag: '"v2"' }, {}],
      ['errors to clear', aFeed().withErrors(2).build(), { kind: 'notModified' }, {}],
      ['a permanent move to remember', aFeed().build(), { kind: 'notModified', movedTo: 'https://b.example/f' }, {}],
      ['new recent articles', aFeed().build(), { kind: 'fetched' }, { seen: 'bbbbbbbbbbbb' }],
      [
        'a crawl interval to keep',
        aFeed().build(),
        { kind: 'notModified' },
        { policy: policyWith({ minIntervalSeconds: 3600 }) },
      ],
      ['a failure', aFeed().build(), { kind: 'failed', code: 'timeout', message: 'slow' }, {}],
      ['a 410', aFeed().build(), { kind: 'gone' }, {}],
    ])('writes when there is %s', (_what, feed, outcome, changes) => {
      expect(afterFetch(feed, outcome, now, changes).changed).toBe(true);
    });
  });

  describe('after a 200', () => {
    it('replaces the validators with the new ones and takes the feed title', () => {
      // Prepare
      const feed = aFeed().withEtag('"v1"').withLastModified('Mon, 01 Dec 2025 00:00:00 GMT').build();
      const outcome: FetchOutcome = {
        kind: 'fetched',
        etag: '"v2"',
        lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT',
        title: 'New title',
      };

      // Act
      const next = applied(feed, outcome);

      // Assess
      expect(next).toMatchObject({
        etag: '"v2"',
        lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT',
        title: 'New title',
        lastFetchedAt: now.toISOString(),
        nextFetchAt: feed.nextFetchAt,
      });
    });

    it('keeps the old validators when the answer brings none', () => {
      // Prepare
      const feed = aFeed().withEtag('"v1"').withLastModified('Mon, 01 Dec 2025 00:00:00 GMT').withTitle('Old').build();

      // Act
      const next = applied(feed, { kind: 'fetched' });

      // Assess
      expect(next).toMatchObject({ etag: '"v1"', lastModified: 'Mon, 01 Dec 2025 00:00:00 GMT', title: 'Old' });
    });

    it('resets the error count and forgets the last error', () => {
      // Prepare
      const feed = aFeed().withErrors(4).withLastError('timeout', 'timed out').dueAt(at(3600)).build();

      // Act
      const next = applied(feed, { kind: 'fetched', etag: '"v3"' });

      // Assess
      expect(next.errorCount).toBe(0);
      expect(next.lastError).toBeUndefined();
      expect(next.status).toBe('active');
    });

    it('follows a permanent move to the new URL once confirmed, and keeps the feed id', () => {
      // Prepare
      const feed = {
        ...aFeed('https://old.example.com/feed.xml').build(),
        redirect: { to: 'https://new.example.com/feed.xml', since: at(0).toISOString() },
      };

      // Act
      const next = applied(feed, { kind: 'fetched', movedTo: 'https://new.example.com/feed.xml' });

      // Assess
      expect(next.url).toBe('https://new.example.com/feed.xml');
      expect(next.id).toBe(feed.id);
    });

    it('is due again after the crawl interval when one is set', () => {
      const feed = aFeed().build();
      const next = applied(feed, { kind: 'fetched' }, { policy: policyWith({ minIntervalSeconds: 900 }) });
      expect(next.nextFetchAt).toBe(new Date(now.getTime() + 900_000).toISOString());
      expect(isDue(next, now)).toBe(false);
    });

    it('stays at its URL without a permanent move', () => {
      const feed = aFeed('https://old.example.com/feed.xml').build();
      expect(applied(feed, { kind: 'fetched' }).url).toBe(feed.url);
    });
  });

  describe('after a 304', () => {
    it('keeps the title and validators, taking any new validator the answer brings', () => {
      // Prepare
      const feed = aFeed().withEtag('"v1"').withLastModified('Mon, 01 Dec 2025 00:00:00 GMT').withTitle('Kept').build();

      // Act
      const next = applied(feed, { kind: 'notModified', etag: '"v1b"' });

      // Assess
      expect(next).toMatchObject({
        etag: '"v1b"',
        lastModified: 'Mon, 01 Dec 2025 00:00:00 GMT',
        title: 'Kept',
        errorCount: 0,
        lastFetchedAt: now.toISOString(),
        nextFetchAt: feed.nextFetchAt,
      });
    });

    it('resets the error state as a 200 does', () => {
      const feed = aFeed().withErrors(2).withLastError('http_error', 'HTTP 500').build();
      const next = applied(feed, { kind: 'notModified' });
      expect(next.errorCount).toBe(0);
      expect(next.lastError).toBeUndefined();
    });

    it('follows a confirmed permanent move', () => {
      const feed = {
        ...aFeed('https://old.example.com/feed.xml').build(),
        redirect: { to: 'https://new.example.com/feed.xml', since: at(0).toISOString() },
      };
      const next = applied(feed, { kind: 'notModified', movedTo: 'https://new.example.com/feed.xml' });
      expect(next.url).toBe('https://new.example.com/feed.xml');
      expect(next.id).toBe(feed.id);
    });
  });

  describe('after a 410', () => {
    it('marks the feed gone, so that it is never due again', () => {
      // Prepare
      const feed = aFeed().withEtag('"v1"').build();

      // Act
      const next = applied(feed, { kind: 'gone' });

      // Assess
      expect(next.status).toBe('gone');
      expect(next.lastFetchedAt).toBe(now.toISOString());
      expect(isDue(next, at(10 * 365 * 86_400))).toBe(false);
    });
  });

  describe('after a failure', () => {
    it('counts the failure, remembers the error and backs off', () => {
      // Prepare
      const feed = aFeed().withEtag('"v1"').build();

      // Act
      const next = applied(feed, { kind: 'failed', code: 'timeout', message: 'timed out after 10 s' });

      // Assess
      expect(next).toMatchObject({
        errorCount: 1,
        lastError: { code: 'timeout', message: 'timed out after 10 s', at: now.toISOString() },
        failingSince: now.toISOString(),
        nextFetchAt: new Date(
          now.getTime() + retryDelaySeconds(feed.id, 1, undefined, DEFAULT_SCHEDULE_POLICY) * 1000,
        ).toISOString(),
        lastFetchedAt: now.toISOString(),
        etag: '"v1"',
        status: 'active',
      });
      expect(isDue(next, now)).toBe(false);
    });

    it('backs off longer after each consecutive failure', () => {
      // Prepare
      const feed = aFeed().withErrors(3).build();

      // Act
      const next = applied(feed, { kind: 'failed', code: 'http_error', message: 'HTTP 503' });

      // Assess
      expect(next.errorCount).toBe(4);
      expect(next.nextFetchAt).toBe(
        new Date(
          now.getTime() + retryDelaySeconds(feed.id, 4, undefined, DEFAULT_SCHEDULE_POLICY) * 1000,
        ).toISOString(),
      );
      expect(Date.parse(next.nextFetchAt) - now.getTime()).toBeGreaterThan(backoffSeconds(3) * 1000);
    });

    it('honours a Retry-After longer than its own back-off', () => {
      const feed = aFeed().build();
      const next = applied(feed, { kind: 'failed', code: 'rate_limited', message: '429', retryAfterSeconds: 7200 });
      expect(next.nextFetchAt).toBe(new Date(now.getTime() + 7_200_000).toISOString());
    });

    it('keeps its own back-off when Retry-After asks for less', () => {
      const feed = aFeed().withErrors(2).build();
      const next = applied(feed, { kind: 'failed', code: 'rate_limited', message: '429', retryAfterSeconds: 5 });
      expect(next.nextFetchAt).toBe(
        new Date(
          now.getTime() + retryDelaySeconds(feed.id, 3, undefined, DEFAULT_SCHEDULE_POLICY) * 1000,
        ).toISOString(),
      );
      expect(Date.parse(next.nextFetchAt) - now.getTime()).toBeGreaterThan(5_000);
    });
  });
});

describe('afterFetch, healing', () => {
  const now = at(600);
  const OLD = 'https://old.example.com/feed.xml';
  const NEW = 'https://new.example.com/feed.xml';
  const applied = (feed: Feed, outcome: FetchOutcome, changes: FetchChanges = {}): Feed => {
    const { lastError: _replaced, failingSince: _since, redirect: _redirect, ...rest } = feed;
    return { ...rest, ...afterFetch(feed, outcome, now, changes).update };
  };

  describe('a permanent redirect', () => {
    it('is remembered on its first sighting, and the feed stays where it is', () => {
      const feed = aFeed(OLD).build();

      const next = applied(feed, { kind: 'fetched', movedTo: NEW });

      expect(next.url).toBe(OLD);
      expect(next.redirect).toEqual({ to: NEW, since: now.toISOString() });
    });

    it('moves the feed when the next fetch is moved to the same URL, keeping its id', () => {
      const once = applied(aFeed(OLD).build(), { kind: 'fetched', movedTo: NEW });

      const twice = applied(once, { kind: 'notModified', movedTo: NEW });

      expect(twice.url).toBe(NEW);
      expect(twice.id).toBe(once.id);
      expect(twice.redirect).toBeUndefined();
    });

    it('is forgotten when the next fetch is not moved (a temporary redirect moves nothing)', () => {
      const once = applied(aFeed(OLD).build(), { kind: 'fetched', movedTo: NEW });

      const next = applied(once, { kind: 'fetched' });

      expect(next.url).toBe(OLD);
      expect(next.redirect).toBeUndefined();
    });

    it('starts over when the next fetch is moved somewhere else', () => {
      const once = applied(aFeed(OLD).build(), { kind: 'fetched', movedTo: NEW });

      const next = applied(once, { kind: 'fetched', movedTo: 'https://third.example.com/feed.xml' });

      expect(next.url).toBe(OLD);
      expect(next.redirect?.to).toBe('https://third.example.com/feed.xml');
    });

    it('is kept, with the reason, when the move is refused; and the same answer then writes nothing', () => {
      const once = applied(aFeed(OLD).build(), { kind: 'fetched', movedTo: NEW });

      const refused = applied(once, { kind: 'fetched', movedTo: NEW }, { moveRefused: 'another feed has it' });
      const again = afterFetch(refused, { kind: 'notModified', movedTo: NEW }, now);

      expect(refused.url).toBe(OLD);
      expect(refused.redirect).toEqual({ to: NEW, since: now.toISOString(), refused: 'another feed has it' });
      expect(again.changed).toBe(false);
      expect(again.update.url).toBe(OLD);
    });

    it('survives a failure in between', () => {
      const once = applied(aFeed(OLD).build(), { kind: 'fetched', movedTo: NEW });

      const failed = applied(once, { kind: 'failed', code: 'timeout', message: 'slow' });

      expect(failed.redirect).toEqual(once.redirect);
    });
  });

  describe('a streak of failures', () => {
    it('starts when the first failure comes and is kept by the next ones', () => {
      const first = applied(aFeed().build(), { kind: 'failed', code: 'http_error', message: 'HTTP 500' });
      const later = {
        ...first,
        ...afterFetch(first, { kind: 'failed', code: 'timeout', message: 'slow' }, at(9999)).update,
      };

      expect(first.failingSince).toBe(now.toISOString());
      expect(later.failingSince).toBe(now.toISOString());
      expect(later.errorCount).toBe(2);
      expect(later.lastError).toMatchObject({ code: 'timeout', message: 'slow' });
    });

    it('ends with the first success', () => {
      const failing = applied(aFeed().build(), { kind: 'failed', code: 'http_error', message: 'HTTP 500' });

      const healed = afterFetch(failing, { kind: 'notModified' }, now);

      expect(healed.changed).toBe(true);
      expect(healed.update.failingSince).toBeUndefined();
      expect(healed.update.lastError).toBeUndefined();
    });

    it('backs off no longer than the policy allows, however long it lasts', () => {
      const feed = aFeed().withErrors(50).build();
      const next = applied(
        feed,
        { kind: 'failed', code: 'timeout', message: 'slow' },
        {
          policy: policyWith({ maxBackoffSeconds: 3600 }),
        },
      );
      expect(Date.parse(next.nextFetchAt) - now.getTime()).toBeLessThanOrEqual(3_600_000);
      expect(next.status).toBe('active');
    });
  });

  describe('the schedule the publisher declares', () => {
    it('is taken from a 200 and kept through 304s, which schedule by it too', () => {
      const policy = policyWith({ hintFloorSeconds: 900 });
      const fetched = applied(aFeed().build(), { kind: 'fetched', publisherSchedule: { ttlMinutes: 60 } }, { policy });

      const unchanged = afterFetch(fetched, { kind: 'notModified' }, at(5000), { policy });

      expect(fetched.publisherSchedule).toEqual({ ttlMinutes: 60 });
      expect(fetched.nextFetchAt).toBe(new Date(now.getTime() + 3_600_000).toISOString());
      expect(unchanged.update.publisherSchedule).toEqual({ ttlMinutes: 60 });
      expect(unchanged.update.nextFetchAt).toBe(at(5000 + 3600).toISOString());
    });

    it('is dropped when a later document no longer declares it', () => {
      const feed = { ...aFeed().build(), publisherSchedule: { ttlMinutes: 60 } };
      const next = afterFetch(feed, { kind: 'fetched' }, now);
      expect(next.update.publisherSchedule).toBeUndefined();
      expect(next.changed).toBe(true);
    });
  });

  it('records why a feed is gone', () => {
    const next = applied(aFeed().build(), { kind: 'gone', message: 'https://example.com/feed.xml is gone' });
    expect(next.status).toBe('gone');
    expect(next.lastError).toMatchObject({ code: 'gone', message: 'https://example.com/feed.xml is gone' });
  });
});

describe('acceptFeedUrl (a feed URL from input)', () => {
  it('accepts a URL of exactly the limit and refuses one character more, before anything is written', () => {
    const base = 'https://a.example/';
    const atLimit = `${base}${'x'.repeat(MAX_URL_LENGTH - base.length)}`;
    expect(acceptFeedUrl(atLimit)).toBe(atLimit);
    expect(() => acceptFeedUrl(`${atLimit}x`)).toThrow(InvalidFeedUrlError);
    expect(() => newFeed(`${atLimit}x`, T0)).toThrow(/2049 characters long, at most 2048/);
  });

  it('counts the normalized form: characters that percent-encode count as their encoding', () => {
    const base = 'https://a.example/';
    const accents = `${base}${'é'.repeat(Math.ceil((MAX_URL_LENGTH - base.length) / 6) + 1)}`;
    expect(accents.length).toBeLessThan(MAX_URL_LENGTH);
    expect(() => acceptFeedUrl(accents)).toThrow(/characters long, at most 2048/);
  });

  it('quotes at most a short excerpt of a huge URL in its message', () => {
    const huge = `https://a.example/${'y'.repeat(500_000)}`;
    expect(() => acceptFeedUrl(huge)).toThrow(InvalidFeedUrlError);
    try {
      acceptFeedUrl(huge);
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(200);
    }
  });
});

describe('newFeed titles', () => {
  it('keeps a title trimmed and cuts a longer one at the limit, never inside a surrogate pair', () => {
    expect(newFeed('https://a.example/', T0, '  News  ').title).toBe('News');
    expect(newFeed('https://a.example/', T0, '   ').title).toBeUndefined();
    expect(newFeed('https://a.example/', T0, 'n'.repeat(MAX_TITLE_LENGTH + 5)).title).toHaveLength(MAX_TITLE_LENGTH);
    const emoji = `${'n'.repeat(MAX_TITLE_LENGTH - 1)}😀😀`;
    expect(newFeed('https://a.example/', T0, emoji).title).toBe('n'.repeat(MAX_TITLE_LENGTH - 1));
  });
});
