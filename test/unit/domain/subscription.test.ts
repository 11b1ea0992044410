import { InvalidFeedUrlError, InvalidSubscriptionError } from '../../../src/domain/errors.js';
import { feedIdFor } from '../../../src/domain/feed.js';
import {
  MAX_SECRET_LENGTH,
  newSubscription,
  subscriptionIdFor,
  wantsArticlesStoredAt,
  type Subscription,
} from '../../../src/domain/subscription.js';
import { aSubscription, at, T_ZERO } from '../../support/mothers.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const FEED = 'https://example.com/feed.xml';

function subscribe(overrides: { secret?: string; webhook?: string; feedUrl?: string } = {}): Subscription {
  return newSubscription({
    feedUrl: overrides.feedUrl ?? FEED,
    sink: { kind: 'webhook', url: overrides.webhook ?? 'https://hooks.example.net/in' },
    secret: overrides.secret ?? SECRET,
    now: T_ZERO,
  });
}

function refusal(overrides: Parameters<typeof subscribe>[0]): InvalidSubscriptionError {
  try {
    subscribe(overrides);
  } catch (error) {
    if (error instanceof InvalidSubscriptionError) return error;
    throw error;
  }
  throw new Error('the subscription was accepted');
}

describe('newSubscription', () => {
  it('makes an active subscription of the feed, created now', () => {
    // Act
    const subscription = subscribe();

    // Assess
    expect(subscription).toEqual({
      id: subscriptionIdFor(feedIdFor(FEED), { kind: 'webhook', url: 'https://hooks.example.net/in' }),
      feedId: feedIdFor(FEED),
      feedUrl: FEED,
      sink: { kind: 'webhook', url: 'https://hooks.example.net/in' },
      secret: SECRET,
      createdAt: T_ZERO.toISOString(),
      status: 'active',
    });
  });

  it('gives the same feed and webhook the same id, and another webhook another id', () => {
    expect(subscribe().id).toBe(subscribe({ webhook: 'https://HOOKS.example.net/in' }).id);
    expect(subscribe().id).not.toBe(subscribe({ webhook: 'https://hooks.example.net/other' }).id);
    expect(subscribe().id).not.toBe(subscribe({ feedUrl: 'https://example.com/other.xml' }).id);
  });

  describe('the secret', () => {
    it.each(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_abc+/w==', 'whsec_AAAA='])('accepts %s', (secret) => {
      expect(subscribe({ secret }).secret).toBe(secret);
    });

    it.each([
      ['without the whsec_ prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      ['with nothing after the prefix', 'whsec_'],
      ['with characters outside base64', 'whsec_not base64!'],
      ['with padding in the middle', 'whsec_ab=cd'],
      ['empty', ''],
    ])('refuses a secret %s, saying what a secret looks like', (_what, secret) => {
      // Act
      const error = refusal({ secret });

      // Assess
      expect(error.code).toBe('invalid_subscription');
      expect(error.message).toBe('the secret must be "whsec_" followed by base64');
    });
  });

  describe('the webhook URL', () => {
    it('accepts http and https', () => {
      expect(subscribe({ webhook: 'http://localhost:8080/hook' }).sink.url).toBe('http://localhost:8080/hook');
      expect(subscribe({ webhook: 'https://hooks.example.net/in?x=1' }).sink.url).toBe(
        'https://hooks.example.net/in?x=1',
      );
    });

    it.each(['hooks.example.net/in', 'not a url', ''])('refuses %j as not an absolute URL, naming it', (webhook) => {
      const error = refusal({ webhook });
      expect(error.message).toBe(`the webhook is not an absolute URL: ${JSON.stringify(webhook)}`);
    });

    it.each(['ftp://hooks.example.net/in', 'mailto:ops@example.net', 'javascript:alert(1)'])(
      'refuses the scheme of %s, naming it',
      (webhook) => {
        const error = refusal({ webhook });
        expect(error.message).toBe(`the webhook must be http or https, not ${new URL(webhook).protocol}`);
      },
    );
  });

  it('refuses a feed URL that is not a feed URL', () => {
    expect(() => subscribe({ feedUrl: 'ftp://example.com/feed.xml' })).toThrow(InvalidFeedUrlError);
  });
});

describe('wantsArticlesStoredAt', () => {
  const subscription = aSubscription(FEED, 1, at(3600));

  it('wants articles stored after it was created', () => {
    expect(wantsArticlesStoredAt(subscription, at(3601).toISOString())).toBe(true);
  });

  it('wants articles stored at the very instant it was created', () => {
    expect(wantsArticlesStoredAt(subscription, at(3600).toISOString())).toBe(true);
  });

  it('does not want articles stored before it was created', () => {
    expect(wantsArticlesStoredAt(subscription, at(3599).toISOString())).toBe(false);
    expect(wantsArticlesStoredAt(subscription, new Date(at(3600).getTime() - 1).toISOString())).toBe(false);
  });

  it('compares instants, not their spelling', () => {
    expect(wantsArticlesStoredAt(subscription, '2026-01-01T02:00:00+01:00')).toBe(true);
    expect(wantsArticlesStoredAt(subscription, '2026-01-01T01:59:59+01:00')).toBe(false);
  });

  it('wants nothing once ended', () => {
    const ended: Subscription = { ...subscription, status: 'ended' };
    expect(wantsArticlesStoredAt(ended, at(7200).toISOString())).toBe(false);
  });
});

describe('subscription input bounds', () => {
  it('refuses a webhook URL longer than 2048 characters, quoting only an excerpt', () => {
    const long = `https://hooks.example/${'h'.repeat(3000)}`;
    expect(() => subscribe({ webhook: long })).toThrow(InvalidSubscriptionError);
    expect(() => subscribe({ webhook: long })).toThrow(/webhook URL is 3022 characters long, at most 2048/);
  });

  it('refuses a secret longer than the bound', () => {
    expect(() => subscribe({ secret: `whsec_${'A'.repeat(MAX_SECRET_LENGTH)}` })).toThrow(
      /secret is \d+ characters long/,
    );
  });
});
