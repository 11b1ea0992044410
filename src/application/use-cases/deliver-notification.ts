import { inject, injectable, multiInject } from 'inversify';
import type { DeliveryState } from '../../domain/crawl-run.js';
import type { ArticleStore } from '../ports/article-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { NotificationSink } from '../ports/notification-sink.port.js';
import type { RunStore } from '../ports/run-store.port.js';
import type { SubscriptionRepository } from '../ports/subscription-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import type { RelaySettings } from '../settings.js';
import { StepRunner } from '../step-runner.js';
import { TOKENS } from '../tokens.js';
import type { DeliverMessage } from '../work-messages.js';

/** SQS cannot delay a message longer than this. */
const MAX_DELAY_SECONDS = 900;
/** The back-off of our own choosing grows to an hour at most; a subscriber's Retry-After may ask for longer. */
const MAX_BACKOFF_SECONDS = 3600;

export type DeliverResult =
  | { readonly kind: 'skipped'; readonly reason: 'done' | 'busy' | 'waiting' }
  | { readonly kind: DeliveryState; readonly retryInSeconds?: number };

/**
 * Delivers one notification through the sink of its subscription. Each attempt is a step of the ledger;
 * a retryable failure schedules the next attempt with exponential back-off and jitter (honouring the
 * sink's Retry-After), under the same notification id, until the attempts run out.
 */
@injectable()
export class DeliverNotification {
  private readonly sinks: Map<string, NotificationSink>;

  constructor(
    @inject(TOKENS.SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
    @inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository,
    @inject(TOKENS.ArticleStore) private readonly articles: ArticleStore,
    @multiInject(TOKENS.NotificationSink) sinks: NotificationSink[],
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(TOKENS.RunStore) private readonly runs: RunStore,
    @inject(StepRunner) private readonly steps: StepRunner,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
  ) {
    this.sinks = new Map(sinks.map((sink) => [sink.kind, sink]));
  }

  async execute(message: DeliverMessage): Promise<DeliverResult> {
    const wait = message.notBefore ? Math.ceil((Date.parse(message.notBefore) - this.clock.now().getTime()) / 1000) : 0;
    if (wait > 0) {
      // A Retry-After longer than SQS can delay a message is waited out in hops of at most 900 s.
      await this.work.dispatch([message], { delaySeconds: Math.min(MAX_DELAY_SECONDS, wait) });
      return { kind: 'skipped', reason: 'waiting' };
    }
    const result = await this.steps.once(`deliver#${message.notificationId}#${message.attempt}`, async () => {
      const value = await this.attempt(message);
      if (value.kind !== 'skipped') await this.runs.recordDelivery(message.runId, message.notificationId, value.kind);
      return { value };
    });
    return result.ran ? result.value : { kind: 'skipped', reason: result.reason };
  }

  private async attempt(message: DeliverMessage): Promise<DeliverResult> {
    const subscription = await this.subscriptions.get(message.feedId, message.subscriptionId);
    // The subscription ended (or went) while the notification waited: it fails for good, it is not left pending.
    if (!subscription || subscription.status !== 'active') return { kind: 'failed' };
    const sink = this.sinks.get(subscription.sink.kind);
    if (!sink) return { kind: 'failed' };
    const feed = await this.feeds.get(message.feedId);
    const articles = await this.articles.getMany(message.feedId, message.articleIds);

    const outcome = await sink.deliver({
      id: message.notificationId,
      subscription,
      feed: {
        id: message.feedId,
        url: feed?.url ?? subscription.feedUrl,
        ...(feed?.title ? { title: feed.title } : {}),
      },
      articles,
      attempt: message.attempt,
    });
    switch (outcome.kind) {
      case 'delivered':
        return { kind: 'delivered' };
      case 'rejected':
        return { kind: 'failed' };
      case 'ended':
        await this.subscriptions.end(subscription.feedId, subscription.id);
        return { kind: 'failed' };
      case 'retry': {
        if (message.attempt >= this.settings.maxDeliveryAttempts) return { kind: 'failed' };
        const delay = this.backoffSeconds(message.attempt, outcome.retryAfterSeconds);
        const next = { ...message, attempt: message.attempt + 1 };
        if (delay > MAX_DELAY_SECONDS)
          next.notBefore = new Date(this.clock.now().getTime() + delay * 1000).toISOString();
        else delete next.notBefore;
        await this.work.dispatch([next], { delaySeconds: Math.min(MAX_DELAY_SECONDS, delay) });
        return { kind: 'pending', retryInSeconds: delay };
      }
    }
  }

  /** Exponential back-off with jitter (half fixed, half random), never sooner than Retry-After asks. */
  private backoffSeconds(attempt: number, retryAfterSeconds?: number): number {
    const base = Math.min(MAX_BACKOFF_SECONDS, this.settings.deliveryBackoffSeconds * 2 ** (attempt - 1));
    const jittered = Math.ceil(base / 2 + Math.random() * (base / 2));
    return Math.max(jittered, Math.ceil(retryAfterSeconds ?? 0));
  }
}
