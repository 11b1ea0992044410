import { ContainerModule } from 'inversify';
import { TOKENS } from '../../../src/application/tokens.js';
import { FixedClock, SequentialIdGenerator } from './fixed-clock.js';
import { InMemoryDeadLetters } from './in-memory-dead-letters.js';
import { InMemoryArticleStore } from '../../../src/adapters/memory/in-memory-article-store.js';
import { InMemoryEventBus } from './in-memory-event-bus.js';
import { InMemoryFeedFetcher } from '../../../src/adapters/memory/in-memory-feed-fetcher.js';
import { InMemoryFeedStore } from '../../../src/adapters/memory/in-memory-feed-store.js';
import { InMemoryHostPoliteness } from '../../../src/adapters/memory/in-memory-host-politeness.js';
import { InMemoryNotificationSink } from '../../../src/adapters/memory/in-memory-notification-sink.js';
import { InMemoryQueues } from './in-memory-queues.js';
import { InMemoryRunStore } from '../../../src/adapters/memory/in-memory-run-store.js';
import { InMemoryStepLedger } from '../../../src/adapters/memory/in-memory-step-ledger.js';
import { InMemorySubscriptionStore } from '../../../src/adapters/memory/in-memory-subscription-store.js';
import { InMemoryWorkDispatcher } from './in-memory-work-dispatcher.js';
import { fullPages, type PageBudget } from '../../../src/adapters/memory/paginate.js';
import { InMemorySinkAddressPolicy } from '../../../src/adapters/memory/in-memory-sink-address-policy.js';
import { InMemoryRelayMetrics } from '../../../src/adapters/memory/in-memory-relay-metrics.js';
import { LocalSecretCipher } from '../../../src/adapters/crypto/local-secret-cipher.js';

/**
 * Every port in memory; the instances stay reachable so that tests can arrange and inspect state. They are
 * built here and bound as constants, so they carry no decorators.
 */
export interface MemoryAdapters {
  readonly feeds: InMemoryFeedStore;
  readonly subscriptions: InMemorySubscriptionStore;
  readonly articles: InMemoryArticleStore;
  readonly ledger: InMemoryStepLedger;
  readonly runs: InMemoryRunStore;
  readonly queues: InMemoryQueues;
  readonly deadLetters: InMemoryDeadLetters;
  readonly bus: InMemoryEventBus;
  readonly fetcher: InMemoryFeedFetcher;
  readonly hosts: InMemoryHostPoliteness;
  readonly sink: InMemoryNotificationSink;
  readonly sinkAddresses: InMemorySinkAddressPolicy;
  /** Seals secrets under a random key of this process. */
  readonly cipher: LocalSecretCipher;
  readonly clock: FixedClock;
  readonly ids: SequentialIdGenerator;
  readonly metrics: InMemoryRelayMetrics;
}

export function createMemoryAdapters(options: { pageBudget?: PageBudget } = {}): MemoryAdapters {
  const queues = new InMemoryQueues();
  const budget = options.pageBudget ?? fullPages;
  return {
    feeds: new InMemoryFeedStore(budget),
    subscriptions: new InMemorySubscriptionStore(budget),
    articles: new InMemoryArticleStore(),
    ledger: new InMemoryStepLedger(),
    runs: new InMemoryRunStore(),
    queues,
    deadLetters: new InMemoryDeadLetters(queues),
    bus: new InMemoryEventBus(queues),
    fetcher: new InMemoryFeedFetcher(),
    hosts: new InMemoryHostPoliteness(),
    sink: new InMemoryNotificationSink(),
    sinkAddresses: new InMemorySinkAddressPolicy(),
    cipher: LocalSecretCipher.ephemeral(),
    clock: new FixedClock(),
    ids: new SequentialIdGenerator(),
    metrics: new InMemoryRelayMetrics(),
  };
}

export function memoryModule(adapters: MemoryAdapters): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.FeedRepository).toConstantValue(adapters.feeds);
    bind(TOKENS.FeedPageReader).toConstantValue(adapters.feeds);
    bind(TOKENS.SubscriptionRepository).toConstantValue(adapters.subscriptions);
    bind(TOKENS.SubscriberPageReader).toConstantValue(adapters.subscriptions);
    bind(TOKENS.ArticleStore).toConstantValue(adapters.articles);
    bind(TOKENS.StepLedger).toConstantValue(adapters.ledger);
    bind(TOKENS.RunStore).toConstantValue(adapters.runs);
    bind(TOKENS.WorkDispatcher).toConstantValue(new InMemoryWorkDispatcher(adapters.queues));
    bind(TOKENS.DeadLetters).toConstantValue(adapters.deadLetters);
    bind(TOKENS.EventPublisher).toConstantValue(adapters.bus);
    bind(TOKENS.FeedFetcher).toConstantValue(adapters.fetcher);
    bind(TOKENS.HostPoliteness).toConstantValue(adapters.hosts);
    bind(TOKENS.NotificationSink).toConstantValue(adapters.sink);
    bind(TOKENS.SinkAddressPolicy).toConstantValue(adapters.sinkAddresses);
    bind(TOKENS.SecretCipher).toConstantValue(adapters.cipher);
    bind(TOKENS.Clock).toConstantValue(adapters.clock);
    bind(TOKENS.IdGenerator).toConstantValue(adapters.ids);
    bind(TOKENS.RelayMetrics).toConstantValue(adapters.metrics);
  });
}
