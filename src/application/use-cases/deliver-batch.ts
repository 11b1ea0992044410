import { inject, injectable, multiInject } from 'inversify';
import type { StoredArticle } from '../../domain/article.js';
import { notificationIdFor } from '../../domain/crawl-run.js';
import type { Subscription } from '../../domain/subscription.js';
import type { ArticleStore } from '../ports/article-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { DeliveryResult, NotificationSink } from '../ports/notification-sink.port.js';
import type { SubscriptionRepository } from '../ports/subscription-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import type { RelaySettings } from '../settings.js';
import { mapBounded } from '../bounded.js';
import { deliveryStepId } from '../step-ids.js';
import { StepRunner } from '../step-runner.js';
import { TOKENS } from '../tokens.js';
import type { DeliverMessage, Recipient } from '../work-messages.js';

/** SQS cannot delay a message longer than this. */
const MAX_DELAY_SECONDS = 900;
/** The back-off of our own choosing grows to an hour at most; a subscriber's Retry-After may ask for longer. */
const MAX_BACKOFF_SECONDS = 3600;

/**
 * What one deliver message did, the record its ledger step completes with. `carried` is how many recipients
 * this attempt took over from the previous one's `pending`, so that a run's pending total is Σ pending − Σ carried.
 */
export interface DeliveryTally {
  readonly recipients: number;
  readonly delivered: number;
  readonly failed: number;
  readonly pending: number;
  readonly carried: number;
}

export type DeliverBatchResult =
  | { readonly kind: 'skipped'; readonly reason: 'done' | 'busy' | 'waiting' }
  | { readonly kind: 'attempted'; readonly tally: DeliveryTally; readonly retryInSeconds?: number };

/**
 * Delivers one batch of a fan-out: the same articles to every recipient of the message, loaded once, POSTed
 * concurrently (at most `deliveryConcurrency` at a time). The attempt is one step of the ledger, completed with
 * its tally. The recipients that ask for a retry travel on together in one message (attempt + 1, back-off with
 * jitter, at least the largest Retry-After), each under its own unchanged webhook-id; a 410 ends the
 * subscription.
 */
@injectable()
export class DeliverBatch {
  private readonly sinks: Map<string, NotificationSink>;

  constructor(
    @inject(TOKENS.ArticleStore) private readonly articles: ArticleStore,
    @inject(TOKENS.SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
    @multiInject(TOKENS.NotificationSink) sinks: NotificationSink[],
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(StepRunner) private readonly steps: StepRunner,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
  ) {
    this.sinks = new Map(sinks.map((sink) => [sink.kind, sink]));
  }

  async execute(message: DeliverMessage): Promise<DeliverBatchResult> {
    const wait = message.notBefore ? Math.ceil((Date.parse(message.notBefore) - this.clock.now().getTime()) / 1000) : 0;
    if (wait > 0) {
      // A Retry-After longer than SQS can delay a message is waited out in hops of at most 900 s.
      await this.work.dispatch([message], { delaySeconds: Math.min(MAX_DELAY_SECONDS, wait) });
      return { kind: 'skipped', reason: 'waiting' };
    }
    const result = await this.steps.once(deliveryStepId(message), async () => {
      const value = await this.attempt(message);
      const retrying: Record<string, string> = {};
      if (value.retry.length > 0) {
        retrying.retry = value.retry.join(' ');
        retrying.retryAt = new Date(this.clock.now().getTime() + (value.retryInSeconds ?? 0) * 1000).toISOString();
      }
      // The record is the attempt's tally, and what a resume needs if the retry it sent is lost.
      const record = { ...value.tally, eventId: message.eventId, batch: message.batch, attempt: message.attempt };
      const { retry: _ids, ...outcome } = value;
      return { value: outcome, record: { ...record, ...retrying } };
    });
    return result.ran ? result.value : { kind: 'skipped', reason: result.reason };
  }

  private async attempt(
    message: DeliverMessage,
  ): Promise<{ kind: 'attempted'; tally: DeliveryTally; retryInSeconds?: number; retry: string[] }> {
    // One read for the whole page of recipients: the discovery's articles, in the order the message names them.
    const stored = new Map((await this.articles.getDiscovery(message.feed.id, message.eventId)).map((a) => [a.id, a]));
    const articles = message.articleIds.flatMap((id) => stored.get(id) ?? []);
    const outcomes = await mapBounded(message.recipients, this.settings.deliveryConcurrency, (recipient) =>
      this.deliverTo(recipient, message, articles),
    );

    let delivered = 0;
    let failed = 0;
    const retry: Recipient[] = [];
    let retryAfter = 0;
    outcomes.forEach((outcome, index) => {
      if (outcome.kind === 'delivered') delivered++;
      else if (outcome.kind === 'retry' && message.attempt < this.settings.maxDeliveryAttempts) {
        retry.push(message.recipients[index]!);
        retryAfter = Math.max(retryAfter, outcome.retryAfterSeconds ?? 0);
      } else failed++;
    });
    const ended = message.recipients.filter((_, index) => outcomes[index]!.kind === 'ended');
    await mapBounded(ended, 8, (r) => this.subscriptions.end(message.feed.id, r.subscriptionId));

    let retryInSeconds: number | undefined;
    if (retry.length > 0) {
      retryInSeconds = this.backoffSeconds(message.attempt, retryAfter);
      const { notBefore: _previous, carried: _carried, ...rest } = message;
      const next: DeliverMessage = {
        ...rest,
        attempt: message.attempt + 1,
        recipients: retry,
        ...(retryInSeconds > MAX_DELAY_SECONDS
          ? { notBefore: new Date(this.clock.now().getTime() + retryInSeconds * 1000).toISOString() }
          : {}),
      };
      await this.work.dispatch([next], { delaySeconds: Math.min(MAX_DELAY_SECONDS, retryInSeconds) });
    }
    // A resumed retry may carry fewer recipients than were pending: the missing ones were removed meanwhile.
    const carried = message.attempt > 1 ? (message.carried ?? message.recipients.length) : 0;
    const tally: DeliveryTally = {
      recipients: message.recipients.length,
      delivered,
      failed: failed + Math.max(0, carried - message.recipients.length),
      pending: retry.length,
      carried,
    };
    return {
      kind: 'attempted',
      tally,
      ...(retryInSeconds !== undefined ? { retryInSeconds } : {}),
      retry: retry.map((r) => r.subscriptionId),
    };
  }

  private async deliverTo(
    recipient: Recipient,
    message: DeliverMessage,
    articles: readonly StoredArticle[],
  ): Promise<DeliveryResult> {
    const sink = this.sinks.get(recipient.sink.kind);
    if (!sink) return { kind: 'rejected', reason: `no sink of kind ${recipient.sink.kind}` };
    const { subscriptionId, sink: _sink, ...secrets } = recipient;
    const subscription: Subscription = {
      ...secrets,
      id: subscriptionId,
      feedId: message.feed.id,
      feedUrl: message.feed.url,
      sink: recipient.sink,
      status: 'active',
    };
    try {
      return await sink.deliver({
        id: notificationIdFor(recipient.subscriptionId, message.eventId),
        subscription,
        feed: message.feed,
        articles,
        attempt: message.attempt,
      });
    } catch (error) {
      // One sink's surprise must not replay the whole batch: that recipient alone tries again.
      return { kind: 'retry', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Exponential back-off with jitter (half fixed, half random), never sooner than Retry-After asks. */
  private backoffSeconds(attempt: number, retryAfterSeconds: number): number {
    const base = Math.min(MAX_BACKOFF_SECONDS, this.settings.deliveryBackoffSeconds * 2 ** (attempt - 1));
    const jittered = Math.ceil(base / 2 + Math.random() * (base / 2));
    return Math.max(jittered, Math.ceil(retryAfterSeconds));
  }
}
