import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import {
  WEBHOOK_OPTIONS,
  WebhookNotificationSink,
  type WebhookOptions,
} from '../../adapters/webhook/webhook-notification-sink.js';

/** The notification sinks. A new sink is one more `NotificationSink` binding (see `sqsSinkModule`). */
export function webhookModule(options: WebhookOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(WEBHOOK_OPTIONS).toConstantValue(options);
    bind(TOKENS.NotificationSink).to(WebhookNotificationSink).inSingletonScope();
  });
}
