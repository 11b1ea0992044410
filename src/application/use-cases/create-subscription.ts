import { inject, injectable } from 'inversify';
import { acceptFeedUrl } from '../../domain/feed.js';
import { checkSubscriptionInput, type SinkDescriptor, type Subscription } from '../../domain/subscription.js';
import { mapBounded } from '../bounded.js';
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

/** What subscribing many at once did: each input's subscription, in input order, or the sinks refused. */
export type CreatedMany =
  | { readonly created: readonly CreatedSubscription[]; readonly refused?: undefined }
  | { readonly refused: readonly { readonly index: number; readonly reason: string }[]; readonly created?: undefined };

/** Sink addresses put to the policy at once (each may be a DNS lookup). */
const POLICY_CHECKS_AT_ONCE = 16;

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

  /**
   * Subscribes many at once (one `Subscribe`, as a bulk import): every input is checked, then every distinct
   * sink put to the policy, and only when none is refused is anything written. Refused sinks are answered by
   * the indexes of their inputs, and nothing is written.
   */
  async executeMany(inputs: readonly SubscribeInput[]): Promise<CreatedMany> {
    const sinks = inputs.map((input) => {
      acceptFeedUrl(input.feedUrl);
      return checkSubscriptionInput(input);
    });
    const keyOf = (sink: SinkDescriptor): string => `${sink.kind} ${sink.url}`;
    const distinct = new Map(sinks.map((sink) => [keyOf(sink), sink]));
    const reasons = new Map<string, string | undefined>();
    await mapBounded([...distinct], POLICY_CHECKS_AT_ONCE, async ([key, sink]) => {
      reasons.set(key, await this.policy.refusal(sink));
    });
    const refused = sinks.flatMap((sink, index) => {
      const reason = reasons.get(keyOf(sink));
      return reason === undefined ? [] : [{ index, reason }];
    });
    if (refused.length > 0) return { refused };
    const result = await this.subscribe.execute(inputs);
    return {
      created: result.subscriptions.map((subscription) => ({
        subscription,
        created: result.createdIds.has(subscription.id),
      })),
    };
  }

  async execute(input: SubscribeInput): Promise<CreatedSubscription> {
    acceptFeedUrl(input.feedUrl);
    const sink = checkSubscriptionInput(input);
    const refusal = await this.policy.refusal(sink);
    if (refusal !== undefined) throw new SinkRefusedError(refusal);
    const result = await this.subscribe.execute([input]);
    return { subscription: result.subscriptions[0]!, created: result.created > 0 };
  }
}
