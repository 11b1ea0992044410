import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import {
  SQS_SINK_OPTIONS,
  SqsNotificationSink,
  type SqsSinkOptions,
} from '../../adapters/sqs/sqs-notification-sink.js';

/** The SQS sink: subscribers' own queues (`{"kind": "sqs", "url": QUEUE_URL}`). */
export function sqsSinkModule(options: SqsSinkOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(SQS_SINK_OPTIONS).toConstantValue(options);
    bind(TOKENS.NotificationSink).to(SqsNotificationSink).inSingletonScope();
  });
}
