import { inject, injectable } from 'inversify';
import { newFeed } from '../../domain/feed.js';
import { newSubscription, type SinkDescriptor, type Subscription } from '../../domain/subscription.js';
import type { Clock } from '../ports/clock.port.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { SubscriptionRepository } from '../ports/subscription-store.port.js';
import { TOKENS } from '../tokens.js';

export interface SubscribeInput {
  readonly feedUrl: string;
  readonly sink: SinkDescriptor;
  readonly secret: string;
}

/**
 * Subscribes sinks to feeds, adding a feed that is not in the table yet. Every input is checked before
 * anything is written, so a batch with one bad line changes nothing.
 */
@injectable()
export class Subscribe {
  constructor(
    @inject(TOKENS.SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
    @inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async execute(inputs: readonly SubscribeInput[]): Promise<{ subscriptions: Subscription[]; created: number }> {
    const now = this.clock.now();
    const planned = inputs.map((input) => ({
      feed: newFeed(input.feedUrl, now),
      subscription: newSubscription({ feedUrl: input.feedUrl, sink: input.sink, secret: input.secret, now }),
    }));
    await this.feeds.addNew(planned.map((p) => p.feed));
    const stored: Subscription[] = [];
    let created = 0;
    for (const { subscription } of planned) {
      const result = await this.subscriptions.add(subscription);
      if (result.createdAt === subscription.createdAt && result.secret === subscription.secret) created++;
      stored.push(result);
    }
    return { subscriptions: stored, created };
  }
}
