import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { FixedClock, SequentialIdGenerator } from '../../adapters/memory/fixed-clock.js';
import { InMemoryDeadLetters } from '../../adapters/memory/in-memory-dead-letters.js';
import { InMemoryArticleStore } from '../../adapters/memory/in-memory-article-store.js';
import { InMemoryEventBus } from '../../adapters/memory/in-memory-event-bus.js';
import { InMemoryFeedFetcher } from '../../adapters/memory/in-memory-feed-fetcher.js';
import { InMemoryFeedStore } from '../../adapters/memory/in-memory-feed-store.js';
import { InMemoryHostPoliteness } from '../../adapters/memory/in-memory-host-politeness.js';
import { InMemoryNotificationSink } from '../../adapters/memory/in-memory-notification-sink.js';
import { InMemoryQueues } from '../../adapters/memory/in-memory-queues.js';
import { InMemoryRunStore } from '../../adapters/memory/in-memory-run-store.js';
import { InMemoryStepLedger } from '../../adapters/memory/in-memory-step-ledger.js';
import { InMemorySubscriptionStore } from '../../adapters/memory/in-memory-subscription-store.js';
import { InMemoryWorkDispatcher } from '../../adapters/memory/in-memory-work-dispatcher.js';
import { fullPages, type PageBudget } from '../../adapters/memory/paginate.js';
import { LocalSecretCipher } from '../../adapters/crypto/local-secret-cipher.js';

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
  /** Seals secrets under a random key of this process. */
  readonly cipher: LocalSecretCipher;
  readonly clock: FixedClock;
  readonly ids: SequentialIdGenerator;
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
    cipher: LocalSecretCipher.ephemeral(),
    clock: new FixedClock(),
    ids: new SequentialIdGenerator(),
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
    bind(TOKENS.SecretCipher).toConstantValue(adapters.cipher);
    bind(TOKENS.Clock).toConstantValue(adapters.clock);
    bind(TOKENS.IdGenerator).toConstantValue(adapters.ids);
  });
}
