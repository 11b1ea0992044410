import { ContainerModule } from 'inversify';
import { DEFAULT_RETENTION, type Retention } from '../../adapters/dynamodb/tokens.js';
import { TOKENS } from '../../application/tokens.js';
import { bindDynamoDbStores } from '../container/dynamodb.module.js';
import { bindSqsQueues } from '../container/sqs.module.js';
import type { EmbeddedStack } from './embedded-stack.js';
import { InProcessEventBus } from './in-process-event-bus.js';

/**
 * The same adapters on the embedded stack, except that events go through the in-process bus, which routes
 * them to the fan-out queue as the deployed EventBridge rule would.
 */
export function localModule(stack: EmbeddedStack, retention: Retention = DEFAULT_RETENTION): ContainerModule {
  return new ContainerModule((options) => {
    bindDynamoDbStores(options, stack.documentClient, stack.tableNames, retention);
    bindSqsQueues(options, stack.sqs, stack.queueUrls);
    options.bind(TOKENS.EventPublisher).to(InProcessEventBus).inSingletonScope();
  });
}
