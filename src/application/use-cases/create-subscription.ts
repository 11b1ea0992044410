import { inject, injectable } from 'inversify';
import { acceptFeedUrl } from '../../domain/feed.js';
import { checkSubscriptionInput, type Subscription } from '../../domain/subscription.js';
import { SinkRefusedError } from '../errors.js';
import type { SinkAddressPolicy } from '../ports/sink-address-policy.port.js';
import { TOKENS } from '../tokens.js';
import { Subscribe, type SubscribeInput } from './subscribe.js';

/** What creating one subscription did: stored a new (or revived an ended) one, or found an active one. */
export interface CreatedSubscription {
  readonly subscription: Subscription;
  /** False when an active subscription of this sink to this feed was there already: it is left as it was. */
  readonly created: boolean;
}

/**
 * Subscribes one sink to one feed, as an operator asks for it through the management API: the feed URL and
 * the sink are checked, then the sink's address is put to the `SinkAddressPolicy` (a webhook on an internal
 * network is refused with a `SinkRefusedError`), and only then is anything written, by `Subscribe` (which adds
 * the feed when it is new).
 */
@injectable()
export class CreateSubscription {
  constructor(
    @inject(Subscribe) private readonly subscribe: Subscribe,
    @inject(TOKENS.SinkAddressPolicy) private readonly policy: SinkAddressPolicy,
  ) {}

  async execute(input: SubscribeInput): Promise<CreatedSubscription> {
    acceptFeedUrl(input.feedUrl);
    const sink = checkSubscriptionInput(input);
    const refusal = await this.policy.refusal(sink);
    if (refusal !== undefined) throw new SinkRefusedError(refusal);
    const result = await this.subscribe.execute([input]);
    return { subscription: result.subscriptions[0]!, created: result.created > 0 };
  }
}
