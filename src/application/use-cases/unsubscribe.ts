import { inject, injectable } from 'inversify';
import { NotFoundError } from '../errors.js';
import type { SubscriptionRepository } from '../ports/subscription-store.port.js';
import { TOKENS } from '../tokens.js';

/**
 * Ends one subscription of a feed: it receives nothing more, and stays listed as `ended` (subscribing the same
 * sink again makes it active again). Ending an ended one changes nothing; an unknown one is a `NotFoundError`.
 */
@injectable()
export class Unsubscribe {
  constructor(@inject(TOKENS.SubscriptionRepository) private readonly subscriptions: SubscriptionRepository) {}

  async execute(feedId: string, subscriptionId: string): Promise<void> {
    const subscription = await this.subscriptions.get(feedId, subscriptionId);
    if (!subscription) throw new NotFoundError(`no subscription ${subscriptionId} of feed ${feedId}`);
    if (subscription.status !== 'ended') await this.subscriptions.end(feedId, subscriptionId);
  }
}
