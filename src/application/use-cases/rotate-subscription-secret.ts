import { randomBytes } from 'node:crypto';
import { inject, injectable } from 'inversify';
import {
  checkSecret,
  DEFAULT_ROTATION_GRACE_SECONDS,
  isPlainSecret,
  newSigningSecret,
  rotatedSecret,
  type Subscription,
} from '../../domain/subscription.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Clock } from '../ports/clock.port.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { SubscriptionRepository } from '../ports/subscription-store.port.js';
import { TOKENS } from '../tokens.js';

export interface RotateSecretInput {
  readonly feedId: string;
  readonly subscriptionId: string;
  /** The new plain `whsec_` secret; absent: one is generated. */
  readonly secret?: string;
  /** How long the previous secret still signs (0 to 30 days). Default one day. */
  readonly graceSeconds?: number;
}

export interface RotateSecretResult {
  /** The subscription as stored (its secrets sealed). */
  readonly subscription: Subscription;
  /** The new secret in plain text: shown to the caller once, never stored so. */
  readonly secret: string;
  /** Until when the previous secret still signs; absent with a grace of 0. */
  readonly previousSecretUntil?: string;
}

/**
 * Gives a webhook subscription a new signing secret while the previous one keeps signing for a grace period:
 * during it every delivery carries both signatures (`webhook-signature: v1,<new> v1,<previous>`), so a
 * receiver can switch at its own pace. The new secret is sealed before it is written; the previous one is
 * kept sealed as it was (never opened here), or sealed now if it was stored plain, before sealing existed. A
 * rotation during another one's grace drops the oldest secret. The write is conditional on the secret read: a
 * concurrent rotation or end makes this one fail, not revive.
 */
@injectable()
export class RotateSubscriptionSecret {
  constructor(
    @inject(TOKENS.SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
    @inject(TOKENS.SecretCipher) private readonly cipher: SecretCipher,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async execute(input: RotateSecretInput): Promise<RotateSecretResult> {
    const secret = input.secret !== undefined ? checkSecret(input.secret) : newSigningSecret(randomBytes);
    const [placed] = await this.subscriptions.findMany(input.feedId, [input.subscriptionId]);
    if (!placed) throw new NotFoundError(`no subscription ${input.subscriptionId} of feed ${input.feedId}`);
    const now = this.clock.now();
    const current = placed.subscription;
    // Checks the sink kind, the status and the grace before anything is sealed or written.
    rotatedSecret(current, 'unsealed', input.graceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS, now);
    const sealed = await this.cipher.seal(secret, current.id);
    const previous = isPlainSecret(current.secret!)
      ? await this.cipher.seal(current.secret!, current.id)
      : current.secret!;
    const rotated = rotatedSecret(
      { ...current, secret: previous },
      sealed,
      input.graceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS,
      now,
    );
    const written = await this.subscriptions.rotateSecret({ ...placed, subscription: rotated }, current.secret!);
    if (!written) {
      throw new ConflictError(`subscription ${current.id} changed while its secret was rotated; try again`);
    }
    return {
      subscription: rotated,
      secret,
      ...(rotated.previousSecretUntil !== undefined ? { previousSecretUntil: rotated.previousSecretUntil } : {}),
    };
  }
}
