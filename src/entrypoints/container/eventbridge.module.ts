import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { EventBridgeEventPublisher } from '../../adapters/eventbridge/eventbridge-event-publisher.js';
import { EVENT_BUS_NAME, EVENTBRIDGE_CLIENT } from '../../adapters/eventbridge/tokens.js';

/** Discoveries published to the EventBridge bus; by default the client is made from the function's environment. */
export function eventBridgeModule(
  eventBusName: string,
  client: EventBridgeClient = new EventBridgeClient({}),
): ContainerModule {
  return new ContainerModule((options) => bindEventBridgePublisher(options, client, eventBusName));
}

export function bindEventBridgePublisher(
  { bind }: ContainerModuleLoadOptions,
  client: EventBridgeClient,
  eventBusName: string,
): void {
  bind(EVENTBRIDGE_CLIENT).toConstantValue(client);
  bind(EVENT_BUS_NAME).toConstantValue(eventBusName);
  bind(TOKENS.EventPublisher).to(EventBridgeEventPublisher).inSingletonScope();
}
