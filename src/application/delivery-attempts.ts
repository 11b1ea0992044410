import { inject, injectable, multiInject } from 'inversify';
import type { StoredArticle } from '../domain/article.js';
import { notificationIdFor } from '../domain/crawl-run.js';
import type { Subscription } from '../domain/subscription.js';
import type { ArticleStore } from './ports/article-store.port.js';
import type { Clock } from './ports/clock.port.js';
import type { DeliveryResult, NotificationSink } from './ports/notification-sink.port.js';
import type { StepRecord } from './ports/step-ledger.port.js';
import type { SubscriptionRepository } from './ports/subscription-store.port.js';
import type { WorkDispatcher } from './ports/work-dispatcher.port.js';
import type { RelaySettings } from './settings.js';
import { mapBounded } from './bounded.js';
import { TOKENS } from './tokens.js';
import type { DeliverMessage, Recipient } from './work-messages.js';

/** SQS cannot delay a message longer than this. */
export const MAX_DELAY_SECONDS = 900;
/** The back-off of our own choosing grows to an hour at most; a subscriber's Retry-After may ask for longer. */
const MAX_BACKOFF_SECONDS = 3600;

/**
 * What one deliver attempt did, the record its ledger step completes with. `carried` is how many recipients
 * this attempt took over from the previous one's `pending`, so that a run's pending total is Σ pending − Σ carried.
 */
export interface DeliveryTally {
  readonly recipients: number;
  readonly delivered: number;
  readonly failed: number;
  readonly pending: number;
  readonly carried: number;
}

/** What one attempt did: its tally, when its retry is due, and who that retry carries. */
export interface AttemptOutcome {
  readonly kind: 'attempted';
  readonly tally: DeliveryTally;
  readonly retryInSeconds?: number;
  readonly retry: readonly string[];
}

/**
 * One attempt at one deliver message, outside any ledger step (its caller runs it as one): the same articles
 * to every recipient of the message, loaded once, POSTed concurrently (at most `deliveryConcurrency` at a
 * time). The recipients that ask for a retry travel on together in one message (attempt + 1, back-off with
 * jitter, at least the largest Retry-After), each under its own unchanged webhook-id; a 410 ends the
 * subscription. Both the deliver queue's consumer and a fan-out page that delivers its lone part itself run it.
 */
@injectable()
export class DeliveryAttempts {
  private readonly sinks: Map<string, NotificationSink>;

  constructor(
    @inject(TOKENS.ArticleStore) private readonly articles: ArticleStore,
    @inject(TOKENS.SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
    @multiInject(TOKENS.NotificationSink) sinks: NotificationSink[],
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
  ) {
    this.sinks = new Map(sinks.map((sink) => [sink.kind, sink]));
  }

  async attempt(message: DeliverMessage): Promise<AttemptOutcome> {
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

  /** The record an attempt's step completes with: its tally, and what a resume needs if the retry it sent is lost. */
  recordOf(message: DeliverMessage, outcome: AttemptOutcome): StepRecord {
    return {
      ...outcome.tally,
      eventId: message.eventId,
      batch: message.batch,
      attempt: message.attempt,
      ...(outcome.retry.length > 0
        ? {
            retry: outcome.retry.join(' '),
            retryAt: new Date(this.clock.now().getTime() + (outcome.retryInSeconds ?? 0) * 1000).toISOString(),
          }
        : {}),
    };
  }

  /** Exponential back-off with jitter (half fixed, half random), never sooner than Retry-After asks. */
  private backoffSeconds(attempt: number, retryAfterSeconds: number): number {
    const base = Math.min(MAX_BACKOFF_SECONDS, this.settings.deliveryBackoffSeconds * 2 ** (attempt - 1));
    const jittered = Math.ceil(base / 2 + Math.random() * (base / 2));
    return Math.max(jittered, Math.ceil(retryAfterSeconds));
  }
}
