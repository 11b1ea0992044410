import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ServiceIdentifier } from 'inversify';

export const EVENTBRIDGE_CLIENT = Symbol.for('EventBridgeClient') as ServiceIdentifier<EventBridgeClient>;
/** The name (or ARN) of the event bus that discoveries are published to. */
export const EVENT_BUS_NAME = Symbol.for('EventBusName') as ServiceIdentifier<string>;
