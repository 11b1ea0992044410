import { inject, injectable } from 'inversify';
import { decodeCursor } from '../../domain/cursor.js';
import { EMPTY_FETCH_TALLY } from '../../domain/crawl-run.js';
import { fetchableIn, type FetchableFeed } from '../../domain/feed.js';
import { wantsArticlesStoredAt, type Subscription } from '../../domain/subscription.js';
import { mapBounded } from '../bounded.js';
import type { PageRecord } from '../page-relay.js';
import type { ArticleStore } from '../ports/article-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { FeedRepository } from '../ports/feed-store.port.js';
import type { RunStore } from '../ports/run-store.port.js';
import type { StepRecord } from '../ports/step-ledger.port.js';
import type { SubscriberPageReader, SubscriptionRepository } from '../ports/subscription-store.port.js';
import type { WorkDispatcher } from '../ports/work-dispatcher.port.js';
import {
  announcedIn,
  batchesOf,
  fanOutChainsOf,
  RunRecordsReader,
  type AnnouncedDiscovery,
  type RunRecords,
} from '../run-records.js';
import type { RelaySettings } from '../settings.js';
import { deliveryStepId, fetchStepId } from '../step-ids.js';
import { StepRunner } from '../step-runner.js';
import { TOKENS } from '../tokens.js';
import {
  deliverMessagesOf,
  deliveryBatchKey,
  fetchBatchName,
  fetchMessagesOf,
  recipientOf,
  subscribersScope,
} from '../work-plans.js';
import type { DeliverMessage, Recipient, ScanSubscribersPageMessage, WorkMessage } from '../work-messages.js';
import { summaryOf } from './summarize-run.js';

/** What a resume sent again, by kind of work. */
export interface ResumeReport {
  readonly runId: string;
  readonly scanSteps: number;
  readonly fetches: number;
  readonly fanOutSteps: number;
  readonly deliveries: number;
  readonly retries: number;
  /** The run was found complete: nothing was sent, and the run is remembered as finished. */
  readonly complete: boolean;
  /** Whether anything was looked for: a run younger than `startedBefore` is left to finish by itself. */
  readonly resumed: boolean;
}

/**
 * Sends again whatever work of a run was started and is neither done nor recorded: a relay chain that
 * stopped (from its last recorded cursor), the fetch messages of a scanned page, the fan-out of a discovery,
 * the deliver messages of a fan-out page, a retry that never came. Everything it finds missing is rebuilt
 * from the ledger's records exactly as it was first sent (same step ids, same feeds, same recipients, same
 * webhook-ids), so work that was only slow, not lost, meets its own step done or held and does nothing twice.
 * A fetch whose commit went through before it was lost replays what that commit announced.
 */
@injectable()
export class ResumeRun {
  constructor(
    @inject(RunRecordsReader) private readonly records: RunRecordsReader,
    @inject(TOKENS.RunStore) private readonly runs: RunStore,
    @inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository,
    @inject(TOKENS.ArticleStore) private readonly articles: ArticleStore,
    @inject(TOKENS.SubscriberPageReader) private readonly subscriberPages: SubscriberPageReader,
    @inject(TOKENS.SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
    @inject(TOKENS.WorkDispatcher) private readonly work: WorkDispatcher,
    @inject(StepRunner) private readonly steps: StepRunner,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
  ) {}

  /**
   * Resumes the run unless it is complete (then it is marked finished) or, with `startedBefore`, younger than
   * that: a run still within its normal time is left alone. With `holdersGone`, the claims held on its steps
   * are dropped first (only where no one else can be working on them).
   */
  async execute(
    runId: string,
    options: { readonly startedBefore?: Date; readonly holdersGone?: boolean } = {},
  ): Promise<ResumeReport> {
    // The embedded stack knows when the process that held the run's steps has died: their work need not wait.
    if (options.holdersGone) await this.records.abandonClaims(runId);
    const records = await this.records.read(runId);
    const nothing = { runId, scanSteps: 0, fetches: 0, fanOutSteps: 0, deliveries: 0, retries: 0 };
    if (summaryOf(records).complete) {
      await this.runs.markFinished(runId);
      return { ...nothing, complete: true, resumed: false };
    }
    if (options.startedBefore && Date.parse(records.run.startedAt) > options.startedBefore.getTime()) {
      return { ...nothing, complete: false, resumed: false };
    }
    const scan = await this.resumeScan(records);
    const fanOut = await this.resumeFanOuts(records);
    return { runId, ...scan, ...fanOut, complete: false, resumed: true };
  }

  /** The scan chains that stopped, and the fetch messages of scanned pages that never completed. */
  private async resumeScan(records: RunRecords): Promise<{ scanSteps: number; fetches: number }> {
    const { run } = records;
    const steps: WorkMessage[] = [];
    let fetches = 0;
    for (const [segment, chain] of records.scans.entries()) {
      const base = {
        v: 2,
        type: 'scan-feeds',
        runId: run.id,
        force: run.force,
        segment,
        segments: run.segments,
      } as const;
      const next = nextStep(chain.pages);
      if (!chain.complete && next) steps.push({ ...base, ...next });

      const done = new Set((records.fetches[segment] ?? []).map((record) => String(record.batch)));
      for (const page of chain.pages) {
        const per = Number(page.extra.per ?? this.settings.feedsPerMessage);
        const batches = batchesOf(page.dispatched, per);
        const lost = new Set(
          Array.from({ length: batches }, (_, n) => n).filter((n) => !done.has(fetchBatchName(segment, page.page, n))),
        );
        if (lost.size === 0) continue;
        const due = String(page.extra.due ?? '')
          .split(' ')
          .filter(Boolean);
        const feeds = await this.dueFeeds(run.id, due, per, lost);
        const messages = fetchMessagesOf({ ...base, page: page.page }, feeds, per, lost).map((message) => ({
          ...message,
          feeds: message.feeds.filter((feed) => feed.id !== REMOVED),
        }));
        fetches += messages.length;
        // A batch whose feeds have all been removed since is done at once, with nothing fetched.
        const empty = messages.filter((message) => message.feeds.length === 0);
        for (const message of empty) {
          await this.steps.unclaimed(fetchStepId(run.id, message.batch), async () => ({
            value: undefined,
            record: { ...EMPTY_FETCH_TALLY, batch: message.batch },
          }));
        }
        await this.work.dispatch(messages.filter((message) => message.feeds.length > 0));
      }
    }
    await this.work.dispatch(steps);
    return { scanSteps: steps.length, fetches };
  }

  /**
   * The due feeds of a page, in order, as their fetch must see them now. A feed whose commit in this run went
   * through carries the version that commit started from, so that its fetch finds its own commit and replays it.
   */
  private async dueFeeds(
    runId: string,
    due: readonly string[],
    per: number,
    lost: ReadonlySet<number>,
  ): Promise<FetchableFeed[]> {
    return mapBounded(due, 16, async (id, index): Promise<FetchableFeed> => {
      if (!lost.has(Math.floor(index / per))) return PLACEHOLDER;
      const feed = await this.feeds.get(id);
      return feed ? fetchableIn(runId, feed) : PLACEHOLDER;
    });
  }

  /** The fan-outs of the run's discoveries: chains that stopped, deliveries lost, retries that never came. */
  private async resumeFanOuts(
    records: RunRecords,
  ): Promise<{ fanOutSteps: number; deliveries: number; retries: number }> {
    const chains = fanOutChainsOf(records);
    const attempts = attemptsByBatch(records.deliveries);
    const now = this.clock.now().getTime();
    let fanOutSteps = 0;
    let deliveries = 0;
    let retries = 0;
    for (const discovery of announcedIn(records)) {
      const start = await this.discoveryStep(records.run.id, discovery);
      if (!start) continue;
      const messages: WorkMessage[] = [];
      for (let shard = 0; shard < discovery.shards; shard++) {
        const base: ScanSubscribersPageMessage = { ...start, shard };
        const chain = chains.get(`${discovery.eventId}.${shard}`);
        const next = nextStep(chain?.pages ?? []);
        if (!chain?.complete && next) {
          messages.push({ ...base, ...next });
          fanOutSteps++;
        }
        for (const page of chain?.pages ?? []) {
          const lost = await this.lostDeliveries({ ...base, page: page.page }, page, attempts);
          deliveries += lost.length;
          // A part whose subscribers have all been removed since is done at once, with no one to tell.
          for (const empty of lost.filter((message) => message.recipients.length === 0)) {
            await this.steps.once(deliveryStepId(empty), async () => ({
              value: undefined,
              record: { ...NO_DELIVERIES, eventId: empty.eventId, batch: empty.batch, attempt: empty.attempt },
            }));
          }
          messages.push(...lost.filter((message) => message.recipients.length > 0));
        }
      }
      for (const [batch, tried] of attempts.get(discovery.eventId) ?? []) {
        const last = tried[tried.length - 1]!;
        const overdue = Date.parse(String(last.retryAt ?? '')) + this.settings.leaseSeconds * 2000 < now;
        if (Number(last.pending ?? 0) > 0 && typeof last.retry === 'string' && overdue) {
          messages.push(await this.retryOf(start, discovery, batch, last));
          retries++;
        }
      }
      await this.work.dispatch(messages);
    }
    return { fanOutSteps, deliveries, retries };
  }

  /** The first step of a discovery's fan-out, rebuilt from its stored articles and its feed. */
  private async discoveryStep(
    runId: string,
    discovery: AnnouncedDiscovery,
  ): Promise<Omit<ScanSubscribersPageMessage, 'shard'> | undefined> {
    const [articles, feed] = await Promise.all([
      this.articles.getDiscovery(discovery.feedId, discovery.eventId),
      this.feeds.get(discovery.feedId),
    ]);
    // A feed removed since has no subscribers left to tell.
    if (articles.length === 0 || !feed) return undefined;
    return {
      v: 2,
      type: 'scan-subscribers',
      runId,
      eventId: discovery.eventId,
      feed: { id: feed.id, url: feed.url, ...(feed.title ? { title: feed.title } : {}) },
      articleIds: articles.map((article) => article.id).sort(),
      discoveredAt: articles[0]!.firstSeenAt,
      shards: discovery.shards,
      page: 0,
    };
  }

  /** The deliver messages of one recorded fan-out page whose first attempt never completed. */
  private async lostDeliveries(
    step: ScanSubscribersPageMessage,
    page: PageRecord,
    attempts: Map<string, Map<string, StepRecord[]>>,
  ): Promise<DeliverMessage[]> {
    const parts = Number(page.extra.parts ?? 0);
    if (parts === 0) return [];
    const tried = attempts.get(step.eventId);
    const keys = Array.from({ length: parts }, (_, n) => deliveryBatchKey(step.shard, step.page, n, parts));
    const lost = new Set(keys.flatMap((key, n) => (tried?.get(key)?.some((r) => Number(r.attempt) === 1) ? [] : [n])));
    if (lost.size === 0) return [];
    const after =
      page.cursor === undefined
        ? undefined
        : decodeCursor(page.cursor, subscribersScope(step.feed.id, step.shard)).position;
    const read = await this.subscriberPages.readPage(step.feed.id, step.shard, after, Math.max(1, page.items));
    const firsts = String(page.extra.firsts ?? '').split(' ');
    return deliverMessagesOf(step, partsAt(read.items, step.discoveredAt, firsts, parts), lost);
  }

  /** The retry a completed attempt sent for its pending recipients, rebuilt from the attempt's record. */
  private async retryOf(
    start: Omit<ScanSubscribersPageMessage, 'shard'>,
    discovery: AnnouncedDiscovery,
    batch: string,
    last: StepRecord,
  ): Promise<DeliverMessage> {
    const ids = String(last.retry).split(' ');
    const found = await this.subscriptions.findMany(discovery.feedId, ids, discovery.shards);
    const recipients: Recipient[] = found.map((placed) => recipientOf(placed.subscription));
    return {
      v: 2,
      type: 'deliver',
      runId: start.runId,
      eventId: discovery.eventId,
      feed: start.feed,
      articleIds: start.articleIds,
      batch,
      attempt: Number(last.attempt) + 1,
      recipients,
      carried: ids.length,
    };
  }
}

const NO_DELIVERIES = { recipients: 0, delivered: 0, failed: 0, pending: 0, carried: 0 };

/** Stands for a feed of the page that is not to be fetched again (its batch is done, or it was removed). */
const REMOVED = '';
const PLACEHOLDER: FetchableFeed = { id: REMOVED, url: '', version: 0, nextFetchAt: '', errorCount: 0 };

/** The step after a chain's last recorded page: page 0 when none is recorded, none when its last page is done. */
function nextStep(pages: readonly PageRecord[]): { page: number; cursor?: string } | undefined {
  const last = pages[pages.length - 1];
  if (!last) return { page: 0 };
  if (last.last || last.next === undefined) return undefined;
  return { page: last.page + 1, cursor: last.next };
}

/** The deliver attempts of a run by discovery and batch, in attempt order. */
function attemptsByBatch(records: readonly StepRecord[]): Map<string, Map<string, StepRecord[]>> {
  const byEvent = new Map<string, Map<string, StepRecord[]>>();
  for (const record of records) {
    const eventId = String(record.eventId);
    const batches = byEvent.get(eventId) ?? new Map<string, StepRecord[]>();
    byEvent.set(eventId, batches);
    batches.set(String(record.batch), [...(batches.get(String(record.batch)) ?? []), record]);
  }
  for (const batches of byEvent.values()) {
    for (const tried of batches.values()) tried.sort((a, b) => Number(a.attempt) - Number(b.attempt));
  }
  return byEvent;
}

/**
 * The page's recipients cut where the recorded parts began: the page is read again in the order it was read
 * (the store's, not by id), and each part begins at the subscription that began it, which is never deleted
 * (an ended one stays, and is no recipient). A subscription ended since leaves its part one shorter, and no
 * recipient moves to a part that was already delivered.
 */
function partsAt(
  subscriptions: readonly Subscription[],
  discoveredAt: string,
  firsts: readonly string[],
  parts: number,
): Recipient[][] {
  const begins = new Map(firsts.slice(0, parts).map((id, part) => [id, part]));
  const cut: Recipient[][] = Array.from({ length: parts }, () => []);
  let part = 0;
  for (const subscription of subscriptions) {
    part = Math.max(part, begins.get(subscription.id) ?? 0);
    if (wantsArticlesStoredAt(subscription, discoveredAt)) cut[part]!.push(recipientOf(subscription));
  }
  return cut;
}
