import { digest } from './hash.js';
import { InvalidSubscriptionError } from './errors.js';
import { feedIdFor } from './feed.js';

/** Where and how a subscriber is told: a sink kind plus what that sink needs. New sinks add a kind. */
export type SinkDescriptor = { readonly kind: 'webhook'; readonly url: string };

/** A subscriber of one feed. It receives articles first stored at or after `createdAt`. */
export interface Subscription {
  readonly id: string;
  readonly feedId: string;
  readonly feedUrl: string;
  readonly sink: SinkDescriptor;
  /** The Standard Webhooks signing secret, `whsec_` + base64. */
  readonly secret: string;
  readonly createdAt: string;
  readonly status: 'active' | 'ended';
}

const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export function subscriptionIdFor(feedId: string, sink: SinkDescriptor): string {
  return digest(['subscription', feedId, sink.kind, sink.url], 24);
}

export function newSubscription(input: {
  feedUrl: string;
  sink: SinkDescriptor;
  secret: string;
  now: Date;
}): Subscription {
  if (!SECRET.test(input.secret)) {
    throw new InvalidSubscriptionError('the secret must be "whsec_" followed by base64');
  }
  let sinkUrl: URL;
  try {
    sinkUrl = new URL(input.sink.url);
  } catch (cause) {
    throw new InvalidSubscriptionError(`the webhook is not an absolute URL: ${JSON.stringify(input.sink.url)}`, {
      cause,
    });
  }
  if (sinkUrl.protocol !== 'http:' && sinkUrl.protocol !== 'https:') {
    throw new InvalidSubscriptionError(`the webhook must be http or https, not ${sinkUrl.protocol}`);
  }
  const feedId = feedIdFor(input.feedUrl);
  const sink = { ...input.sink, url: sinkUrl.toString() };
  return {
    id: subscriptionIdFor(feedId, sink),
    feedId,
    feedUrl: input.feedUrl,
    sink,
    secret: input.secret,
    createdAt: input.now.toISOString(),
    status: 'active',
  };
}

/** A subscription hears of articles stored from its creation on, and nothing stored before it. */
export function wantsArticlesStoredAt(subscription: Subscription, storedAt: string): boolean {
  return subscription.status === 'active' && Date.parse(subscription.createdAt) <= Date.parse(storedAt);
}
