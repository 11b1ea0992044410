import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import {
  WEBHOOK_OPTIONS,
  WebhookNotificationSink,
  type WebhookOptions,
} from '../../adapters/webhook/webhook-notification-sink.js';
import {
  SQS_SINK_OPTIONS,
  SqsNotificationSink,
  type SqsSinkOptions,
} from '../../adapters/sqs/sqs-notification-sink.js';

/** The notification sinks. A new sink is one more `NotificationSink` binding here. */
export function webhookModule(options: WebhookOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(WEBHOOK_OPTIONS).toConstantValue(options);
    bind(TOKENS.NotificationSink).to(WebhookNotificationSink).inSingletonScope();
  });
}

/** The SQS sink: subscribers' own queues (`{"kind": "sqs", "url": QUEUE_URL}`). */
export function sqsSinkModule(options: SqsSinkOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(SQS_SINK_OPTIONS).toConstantValue(options);
    bind(TOKENS.NotificationSink).to(SqsNotificationSink).inSingletonScope();
  });
}
