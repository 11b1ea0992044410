import { InvalidFeedUrlError, InvalidSubscriptionError } from '../../../src/domain/errors.js';
import { feedIdFor } from '../../../src/domain/feed.js';
import {
  DEFAULT_ROTATION_GRACE_SECONDS,
  MAX_ROTATION_GRACE_SECONDS,
  MAX_SECRET_LENGTH,
  newSigningSecret,
  newSubscription,
  rotatedSecret,
  signingSecrets,
  subscriptionIdFor,
  wantsArticlesStoredAt,
  type Subscription,
} from '../../../src/domain/subscription.js';
import { aSubscription, at, T0 } from '../../support/mothers.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const FEED = 'https://example.com/feed.xml';

function subscribe(overrides: { secret?: string; webhook?: string; feedUrl?: string } = {}): Subscription {
  return newSubscription({
    feedUrl: overrides.feedUrl ?? FEED,
    sink: { kind: 'webhook', url: overrides.webhook ?? 'https://hooks.example.net/in' },
    secret: overrides.secret ?? SECRET,
    now: T0,
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
      createdAt: T0.toISOString(),
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

describe('an SQS sink', () => {
  const sqs = (url: string, secret?: string) =>
    newSubscription({ feedUrl: FEED, sink: { kind: 'sqs', url }, ...(secret ? { secret } : {}), now: T0 });

  it('takes a queue URL and no secret, under another id than a webhook at the same URL', () => {
    const url = 'https://sqs.eu-west-1.amazonaws.com/123456789012/articles.fifo';
    const subscription = sqs(url);
    expect(subscription.sink).toEqual({ kind: 'sqs', url });
    expect(subscription).not.toHaveProperty('secret');
    expect(subscription.id).not.toBe(subscribe({ webhook: url }).id);
  });

  it('refuses a URL that is not a queue URL, and a secret', () => {
    expect(() => sqs('https://sqs.eu-west-1.amazonaws.com/articles')).toThrow(/must look like https:\/\/sqs\.REGION/);
    expect(() => sqs('https://sqs.eu-west-1.amazonaws.com/1/q?x=1')).toThrow(/must look like/);
    expect(() => sqs('ftp://sqs.eu-west-1.amazonaws.com/1/q')).toThrow(/must be http or https/);
    expect(() => sqs('https://sqs.eu-west-1.amazonaws.com/1/q', SECRET)).toThrow(/a secret signs webhooks only/);
  });

  it('refuses a webhook without a secret', () => {
    expect(() =>
      newSubscription({ feedUrl: FEED, sink: { kind: 'webhook', url: 'https://hooks.example.net/in' }, now: T0 }),
    ).toThrow(/needs a secret/);
  });
});

describe('rotatedSecret', () => {
  const NOW = at(3600);
  const current = { ...aSubscription(FEED, 1), secret: 'sealed-old' };

  it('makes the new secret current and keeps the old one signing for the grace period', () => {
    const rotated = rotatedSecret(current, 'sealed-new', 600, NOW);
    expect(rotated).toMatchObject({
      secret: 'sealed-new',
      previousSecret: 'sealed-old',
      previousSecretUntil: new Date(NOW.getTime() + 600_000).toISOString(),
    });
    expect(signingSecrets(rotated, NOW)).toEqual(['sealed-new', 'sealed-old']);
    expect(signingSecrets(rotated, new Date(NOW.getTime() + 600_000))).toEqual(['sealed-new']);
  });

  it('keeps at most two secrets: a second rotation drops the oldest', () => {
    const twice = rotatedSecret(rotatedSecret(current, 'sealed-new', 600, NOW), 'sealed-newest', 60, NOW);
    expect(signingSecrets(twice, NOW)).toEqual(['sealed-newest', 'sealed-new']);
  });

  it('with no grace, drops the old secret at once', () => {
    const rotated = rotatedSecret(
      { ...current, previousSecret: 'x', previousSecretUntil: NOW.toISOString() },
      'new',
      0,
      NOW,
    );
    expect(rotated).not.toHaveProperty('previousSecret');
    expect(rotated).not.toHaveProperty('previousSecretUntil');
  });

  it('refuses a grace beyond 30 days or not whole, an ended subscription and a sink without secrets', () => {
    expect(() => rotatedSecret(current, 'new', MAX_ROTATION_GRACE_SECONDS + 1, NOW)).toThrow(/from 0 to 2592000/);
    expect(() => rotatedSecret(current, 'new', 1.5, NOW)).toThrow(/whole number of seconds/);
    expect(() => rotatedSecret({ ...current, status: 'ended' }, 'new', 60, NOW)).toThrow(/has ended/);
    const queue = { ...current, sink: { kind: 'sqs' as const, url: 'https://sqs.x.amazonaws.com/1/q' } };
    expect(() => rotatedSecret(queue, 'new', 60, NOW)).toThrow(/sqs subscription has no secret/);
    expect(DEFAULT_ROTATION_GRACE_SECONDS).toBe(86_400);
  });

  it('generates secrets as Standard Webhooks spells them', () => {
    const secret = newSigningSecret((n) => new Uint8Array(n).fill(7));
    expect(secret).toBe(`whsec_${Buffer.alloc(24, 7).toString('base64')}`);
    expect(subscribe({ secret }).secret).toBe(secret);
  });
});
