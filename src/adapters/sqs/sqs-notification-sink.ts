import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { inject, injectable } from 'inversify';
import type { ServiceIdentifier } from 'inversify';
import type { Clock } from '../../application/ports/clock.port.js';
import type { DeliveryResult, Notification, NotificationSink } from '../../application/ports/notification-sink.port.js';
import { TOKENS } from '../../application/tokens.js';
import { WebhookBodies } from '../webhook/webhook-payload.js';

export interface SqsSinkOptions {
  /**
   * Origins (`http://127.0.0.1:9324`) whose queues are delivered to with the default client besides SQS's own
   * endpoints (`https://sqs.<region>.amazonaws.com`): the embedded stack's. Empty in AWS.
   */
  readonly localOrigins: readonly string[];
  /** The client for a region's queues (`undefined`: a local origin's). Called once per region. */
  readonly clientFor: (region: string | undefined) => SQSClient;
}

export const SQS_SINK_OPTIONS = Symbol.for('SqsSinkOptions') as ServiceIdentifier<SqsSinkOptions>;

/** SQS's own endpoints; the region is the first group. */
const AWS_QUEUE_HOST = /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;

/** SQS errors that another try may cure: throttling and the service's own failures. */
const RETRYABLE = new Set([
  'ThrottlingException',
  'RequestThrottled',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'KmsThrottled',
  'TimeoutError',
]);

/**
 * Delivers notifications as messages on the subscriber's own SQS queue: the body is the webhook's body
 * (`feed.articles`), byte for byte, and the message attributes `webhook-id` (stable across retries, the
 * deduplication id of a FIFO queue, whose group is the feed) and `webhook-timestamp`. Nothing is signed: the
 * queue's IAM policy says who may send. Only queues of SQS's own endpoints (or the embedded stack's) are
 * sent to, so a queue URL cannot point the function's credentials elsewhere. Throttling and SQS's own errors
 * are retried; access denied, a queue that does not exist and any other refusal are not.
 */
@injectable()
export class SqsNotificationSink implements NotificationSink {
  readonly kind = 'sqs';
  private readonly clients = new Map<string, SQSClient>();
  private readonly bodies = new WebhookBodies();

  constructor(
    @inject(SQS_SINK_OPTIONS) private readonly options: SqsSinkOptions,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async deliver(notification: Notification): Promise<DeliveryResult> {
    const queueUrl = notification.subscription.sink.url;
    const target = this.targetOf(queueUrl);
    if (typeof target === 'string') return { kind: 'rejected', reason: target };
    const body = this.bodies.of(notification);
    const fifo = queueUrl.endsWith('.fifo');
    try {
      await target.client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageAttributes: {
            'webhook-id': { DataType: 'String', StringValue: notification.id },
            'webhook-timestamp': {
              DataType: 'Number',
              StringValue: String(Math.floor(this.clock.now().getTime() / 1000)),
            },
          },
          ...(fifo ? { MessageGroupId: notification.feed.id, MessageDeduplicationId: notification.id } : {}),
        }),
      );
      return { kind: 'delivered' };
    } catch (error) {
      const name = (error as Error).name;
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const reason = `SQS ${name}: ${(error as Error).message}`;
      // No status: the request did not get an answer (a network error, a time-out).
      if (RETRYABLE.has(name) || status === undefined || status >= 500) return { kind: 'retry', reason };
      return { kind: 'rejected', reason };
    }
  }

  /** The client for the queue's region, or why the URL is not a queue this sink sends to. */
  private targetOf(queueUrl: string): { client: SQSClient } | string {
    if (!URL.canParse(queueUrl)) return `not a queue URL: ${queueUrl.slice(0, 80)}`;
    const url = new URL(queueUrl);
    let region: string | undefined;
    if (this.options.localOrigins.includes(url.origin)) region = undefined;
    else {
      const match = AWS_QUEUE_HOST.exec(url.hostname);
      if (!match || url.protocol !== 'https:' || url.port !== '') {
        return `${url.origin} is not an SQS endpoint (https://sqs.REGION.amazonaws.com)`;
      }
      region = match[1];
    }
    const key = region ?? '';
    let client = this.clients.get(key);
    if (!client) this.clients.set(key, (client = this.options.clientFor(region)));
    return { client };
  }
}
