import { FeedrelayError } from '../../domain/errors.js';
import { inject, injectable } from 'inversify';
import type { ServiceIdentifier } from 'inversify';
import type { Clock } from '../../application/ports/clock.port.js';
import type { DeliveryResult, Notification, NotificationSink } from '../../application/ports/notification-sink.port.js';
import type { SecretCipher } from '../../application/ports/secret-cipher.port.js';
import { TOKENS } from '../../application/tokens.js';
import { signingSecrets } from '../../domain/subscription.js';
import { SealedSecretError } from '../crypto/errors.js';
import {
  header,
  keepAliveAgents,
  parseRetryAfter,
  sendHttpRequest,
  USER_AGENT,
  type HttpAgents,
} from '../http/http-client.js';
import { NetworkGuard } from '../http/network-guard.js';
import { signedHeaders } from './standard-webhooks.js';
import { WebhookBodies } from './webhook-payload.js';

export interface WebhookOptions {
  readonly timeoutMs: number;
  /** CIDRs that webhooks may reach although they are loopback, private or link-local. */
  readonly allowedNetworks: readonly string[];
}

export const WEBHOOK_OPTIONS = Symbol.for('WebhookOptions') as ServiceIdentifier<WebhookOptions>;

/** Connections kept open per subscriber host, for the POSTs of one batch and the batches after it. */
const MAX_SOCKETS_PER_HOST = 64;

/** Failures of the request itself that another try may cure. */
const RETRYABLE = new Set(['timeout', 'connect_error', 'dns_error', 'tls_error', 'http_error']);

/**
 * Delivers notifications as signed Standard Webhooks: a POST of the `feed.articles` body with `webhook-id`,
 * `webhook-timestamp` and `webhook-signature`. 2xx is delivered, 410 ends the subscription, a redirect is a
 * failure (never followed), 429, 5xx and time-outs are retried (honouring Retry-After), other 4xx are not.
 * Webhook URLs pass the same address guard as feed fetches. Connections are kept alive and reused; the body
 * of an answer is never read (a 2xx is success whatever it says), only drained up to a small bound. The body
 * of a batch's notifications (same feed, same articles) is serialized once. The subscription's secrets arrive
 * sealed and are opened here only, for the signature (`SecretCipher`); during a rotation's grace the delivery
 * carries both signatures. A secret that cannot be opened rejects the delivery.
 */
@injectable()
export class WebhookNotificationSink implements NotificationSink {
  readonly kind = 'webhook';
  private readonly guard: NetworkGuard;
  private readonly agents: HttpAgents = keepAliveAgents(MAX_SOCKETS_PER_HOST);
  private readonly bodies = new WebhookBodies();

  constructor(
    @inject(WEBHOOK_OPTIONS) private readonly options: WebhookOptions,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.SecretCipher) private readonly cipher: SecretCipher,
  ) {
    this.guard = NetworkGuard.fromList(options.allowedNetworks);
  }

  async deliver(notification: Notification): Promise<DeliveryResult> {
    const body = this.bodies.of(notification);
    const now = this.clock.now();
    const timestamp = Math.floor(now.getTime() / 1000);
    const { subscription } = notification;
    let secrets: string[];
    try {
      secrets = await Promise.all(signingSecrets(subscription, now).map((s) => this.cipher.open(s, subscription.id)));
    } catch (error) {
      if (error instanceof SealedSecretError) return { kind: 'rejected', reason: error.message };
      throw error;
    }
    if (secrets.length === 0) return { kind: 'rejected', reason: `subscription ${subscription.id} has no secret` };
    try {
      const response = await sendHttpRequest({
        url: notification.subscription.sink.url,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          ...signedHeaders(secrets, notification.id, timestamp, body),
        },
        body,
        guard: this.guard,
        timeoutMs: this.options.timeoutMs,
        maxBytes: 64 * 1024,
        followRedirects: false,
        agents: this.agents,
        readBody: false,
      });
      const status = response.status;
      if (status >= 200 && status < 300) return { kind: 'delivered' };
      if (status === 410) return { kind: 'ended', reason: 'the subscriber answered 410 Gone' };
      if (status === 429 || status >= 500 || status === 408) {
        const retryAfter = parseRetryAfter(header(response, 'retry-after'), this.clock.now().getTime());
        return {
          kind: 'retry',
          reason: `the subscriber answered ${status}`,
          ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
        };
      }
      if (status >= 300 && status < 400) return { kind: 'rejected', reason: `redirect ${status} not followed` };
      return { kind: 'rejected', reason: `the subscriber answered ${status}` };
    } catch (error) {
      if (error instanceof FeedrelayError) {
        const code = error.code;
        const reason = `${code}: ${error.message}`;
        return RETRYABLE.has(code) ? { kind: 'retry', reason } : { kind: 'rejected', reason };
      }
      throw error;
    }
  }
}
