import type { ServiceIdentifier } from 'inversify';
import type { ArticleStore } from './ports/article-store.port.js';
import type { Clock, IdGenerator } from './ports/clock.port.js';
import type { DeadLetters } from './ports/dead-letters.port.js';
import type { EventPublisher } from './ports/event-publisher.port.js';
import type { FeedFetcher } from './ports/feed-fetcher.port.js';
import type { FeedPageReader, FeedRepository } from './ports/feed-store.port.js';
import type { HostPoliteness } from './ports/host-politeness.port.js';
import type { NotificationSink } from './ports/notification-sink.port.js';
import type { RelayMetrics } from './ports/relay-metrics.port.js';
import type { RunStore } from './ports/run-store.port.js';
import type { SinkAddressPolicy } from './ports/sink-address-policy.port.js';
import type { SecretCipher } from './ports/secret-cipher.port.js';
import type { StepLedger } from './ports/step-ledger.port.js';
import type { SubscriberPageReader, SubscriptionRepository } from './ports/subscription-store.port.js';
import type { WorkDispatcher } from './ports/work-dispatcher.port.js';
import type { RelaySettings } from './settings.js';

/** The service identifiers of the ports and settings the use cases depend on. */
export const TOKENS = {
  FeedRepository: Symbol.for('FeedRepository') as ServiceIdentifier<FeedRepository>,
  FeedPageReader: Symbol.for('FeedPageReader') as ServiceIdentifier<FeedPageReader>,
  SubscriptionRepository: Symbol.for('SubscriptionRepository') as ServiceIdentifier<SubscriptionRepository>,
  SubscriberPageReader: Symbol.for('SubscriberPageReader') as ServiceIdentifier<SubscriberPageReader>,
  ArticleStore: Symbol.for('ArticleStore') as ServiceIdentifier<ArticleStore>,
  StepLedger: Symbol.for('StepLedger') as ServiceIdentifier<StepLedger>,
  RunStore: Symbol.for('RunStore') as ServiceIdentifier<RunStore>,
  WorkDispatcher: Symbol.for('WorkDispatcher') as ServiceIdentifier<WorkDispatcher>,
  EventPublisher: Symbol.for('EventPublisher') as ServiceIdentifier<EventPublisher>,
  FeedFetcher: Symbol.for('FeedFetcher') as ServiceIdentifier<FeedFetcher>,
  HostPoliteness: Symbol.for('HostPoliteness') as ServiceIdentifier<HostPoliteness>,
  NotificationSink: Symbol.for('NotificationSink') as ServiceIdentifier<NotificationSink>,
  SecretCipher: Symbol.for('SecretCipher') as ServiceIdentifier<SecretCipher>,
  Clock: Symbol.for('Clock') as ServiceIdentifier<Clock>,
  IdGenerator: Symbol.for('IdGenerator') as ServiceIdentifier<IdGenerator>,
  RelaySettings: Symbol.for('RelaySettings') as ServiceIdentifier<RelaySettings>,
  DeadLetters: Symbol.for('DeadLetters') as ServiceIdentifier<DeadLetters>,
  SinkAddressPolicy: Symbol.for('SinkAddressPolicy') as ServiceIdentifier<SinkAddressPolicy>,
  RelayMetrics: Symbol.for('RelayMetrics') as ServiceIdentifier<RelayMetrics>,
} as const;
