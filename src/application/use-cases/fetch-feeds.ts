import { inject, injectable } from 'inversify';
import { identifyArticles, type Article } from '../../domain/article.js';
import {
  articlesDiscovered,
  discoveryParts,
  EMPTY_FETCH_TALLY,
  tallyOutcome,
  type ArticlesDiscovered,
  type DiscoveredFeed,
  type FeedRunOutcome,
  type FetchTally,
} from '../../domain/crawl-run.js';
import {
  afterFetch,
  confirmsMove,
  feedIdFor,
  type FeedCommitRecord,
  type FetchableFeed,
  type FetchOutcome,
} from '../../domain/feed.js';
import { rememberDocument, unseen } from '../../domain/recent-articles.js';
import { Limiter } from '../bounded.js';
import type { ArticleStore } from '../ports/article-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { EventPublisher } from '../ports/event-publisher.port.js';
import type { FeedFetcher, FetchResult } from '../ports/feed-fetcher.port.js';
import type { CommittedFeed, FeedRepository } from '../ports/feed-store.port.js';
import { schedulePolicyOf, type RelaySettings } from '../settings.js';
import { fetchStepId } from '../step-ids.js';
import { PoliteHosts, type ReportOutcome } from '../polite-hosts.js';
import { StepRunner } from '../step-runner.js';
import { TOKENS } from '../tokens.js';
import type { FetchFeedMessage } from '../work-messages.js';

export type FetchFeedsResult =
  { readonly kind: 'skipped'; readonly reason: 'done' | 'busy' } | ({ readonly kind: 'fetched' } & FetchTally);

interface FeedResult {
  readonly outcome: FeedRunOutcome;
  readonly newArticles: number;
  readonly discoveries: readonly ArticlesDiscovered[];
}

/** One feed's request, done; or work already committed by an earlier attempt, to be replayed. */
type Downloaded =
  { readonly result: FetchResult; readonly outcome: FetchOutcome; readonly now: Date } | { readonly replay: true };

/** A feed not fetched because its host asked to be left alone: not a failure, it stays due for a later run. */
const DEFERRED: FeedResult = { outcome: 'skipped', newArticles: 0, discoveries: [] };

/**
 * Fetches the feeds of one message, stores what they list that they had not listed lately, and announces
 * it. The message is one step of the ledger, whose record is its tally: one record per message, none per
 * feed, and no claim (`StepRunner.unclaimed`). Each feed's work carries its state, so a 304 costs no request;
 * a change is committed with a write conditional on the version the scan read, so a feed removed meanwhile
 * never comes back and a stale copy of the work commits nothing. What is new is what the committed recent-article set
 * did not hold; the commit also records the event ids of its discoveries, so a retry that finds its own commit
 * announces exactly those again, their articles read back from the article store.
 *
 * Politeness (`PoliteHosts`): a feed whose host asked to be left alone is not fetched and stays due
 * (`skipped`); what a fetch finds may hold its host for every worker.
 */
@injectable()
export class FetchFeeds {
  constructor(
    @inject(TOKENS.FeedRepository) private readonly feeds: FeedRepository,
    @inject(TOKENS.FeedFetcher) private readonly fetcher: FeedFetcher,
    @inject(TOKENS.ArticleStore) private readonly articles: ArticleStore,
    @inject(TOKENS.EventPublisher) private readonly events: EventPublisher,
    @inject(StepRunner) private readonly steps: StepRunner,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.RelaySettings) private readonly settings: RelaySettings,
    @inject(PoliteHosts) private readonly politeness: PoliteHosts,
  ) {
    this.fetches = new Limiter(settings.fetchConcurrency);
  }

  /** Fetches under way in this environment, over all the messages of its invocation. */
  private readonly fetches: Limiter;

  async execute(message: FetchFeedMessage): Promise<FetchFeedsResult> {
    // Not claimed first (one ledger write a message, not two): a second attempt at once fetches again, and its
    // commits find the first's and replay them, so both tally the same; the first record stands.
    const result = await this.steps.unclaimed(fetchStepId(message.runId, message.batch), async () => {
      const hosts = await this.politeness.forMessage(message.feeds.map((feed) => feed.url));
      // A fetch holds its slot (and its host's turn) for the request alone: storing and committing what it
      // found happen after it has given the slot to the next fetch.
      const results = await Promise.all(
        message.feeds.map(async (feed) => {
          const downloaded = await this.fetches.run(() =>
            hosts.visit(feed.url, feed.errorCount, (report) => this.download(feed, report)),
          );
          return downloaded === 'deferred' ? DEFERRED : this.settle(message.runId, feed, downloaded);
        }),
      );
      const discoveries = results.flatMap((r) => r.discoveries);
      if (discoveries.length > 0) await this.events.publish(discoveries);
      const tally = results.reduce((t, r) => tallyOutcome(t, r.outcome, r.newArticles), EMPTY_FETCH_TALLY);
      return { value: tally, record: { ...tally, batch: message.batch, ...announcedRecord(discoveries) } };
    });
    return result.ran ? { kind: 'fetched', ...result.value } : { kind: 'skipped', reason: result.reason };
  }

  /** Why a confirmed move to `to` cannot be made: another feed already lives there. */
  private async moveRefused(work: FetchableFeed, to: string): Promise<string | undefined> {
    let otherId: string;
    try {
      otherId = feedIdFor(to);
    } catch {
      return `${to} is not a feed URL`;
    }
    if (otherId === work.id) return undefined;
    const other = await this.feeds.get(otherId);
    return other === undefined ? undefined : `another feed (${otherId}) already has the URL ${to}`;
  }

  /** The request of one feed's fetch, and what its host learns from it; `replay` for work already committed. */
  private async download(carried: FetchableFeed, report: ReportOutcome): Promise<Downloaded> {
    if (carried.committed) return { replay: true };
    const result = await this.fetcher.fetch({
      url: carried.url,
      etag: carried.etag,
      lastModified: carried.lastModified,
    });
    const now = this.clock.now();
    const outcome = toOutcome(result);
    await report(outcome, now);
    return { result, outcome, now };
  }

  /** What one feed's fetch found, stored and committed. */
  private async settle(runId: string, carried: FetchableFeed, downloaded: Downloaded): Promise<FeedResult> {
    if ('replay' in downloaded) return this.afterConflict(runId, carried);
    const { result, outcome, now } = downloaded;
    // A recent-article set too long for the message is read when the document changed, or the feed commits.
    let work = carried;
    if (work.seenInTable && result.kind === 'fetched') {
      const read = await this.withSeen(work);
      if (read === undefined) return this.afterConflict(runId, carried);
      work = read;
    }
    let fresh: Article[] = [];
    let seen: string | undefined;
    if (result.kind === 'fetched') {
      const articles = identifyArticles(result.document.items);
      const ids = articles.map((a) => a.id);
      const freshIds = new Set(unseen(work.seen, ids));
      fresh = articles.filter((a) => freshIds.delete(a.id));
      seen = rememberDocument(work.seen, ids);
    }
    const movedTo = outcome.kind === 'fetched' || outcome.kind === 'notModified' ? outcome.movedTo : undefined;
    const moveRefused = confirmsMove(work, movedTo) ? await this.moveRefused(work, movedTo) : undefined;
    const changes = {
      seen,
      policy: schedulePolicyOf(this.settings),
      ...(moveRefused !== undefined ? { moveRefused } : {}),
    };
    let { update, changed } = afterFetch(work, outcome, now, changes);
    if (!changed) return { outcome: outcome.kind, newArticles: 0, discoveries: [] };
    if (work.seenInTable) {
      // A commit keeps the set it did not carry: read it first.
      const read = await this.withSeen(work);
      if (read === undefined) return this.afterConflict(runId, carried);
      work = read;
      ({ update, changed } = afterFetch(work, outcome, now, changes));
    }

    const discoveredAt = now.toISOString();
    // Each discovery's articles are stored together before the commit that makes them known.
    const byId = new Map(fresh.map((article) => [article.id, article]));
    const parts = discoveryParts(
      work.id,
      fresh.map((a) => a.id),
    );
    await Promise.all(
      parts.map((part) =>
        this.articles.putDiscovery(
          work.id,
          part.eventId,
          part.articleIds.map((id) => ({
            ...byId.get(id)!,
            feedId: work.id,
            firstSeenAt: discoveredAt,
            firstSeenRunId: runId,
          })),
        ),
      ),
    );
    // The commit names its discoveries by event id alone (their articles are stored under it), and its
    // `lastFetchedAt` is `discoveredAt`: all a replay needs, in a few bytes of the feed item.
    const committed = await this.feeds.commit(work.id, work.version, {
      ...update,
      lastCommit: {
        runId,
        fromVersion: work.version,
        outcome: outcome.kind,
        newArticles: fresh.length,
        ...(parts.length > 0 ? { events: parts.map((part) => part.eventId) } : {}),
      },
    });
    if (committed === 'conflict') return this.afterConflict(runId, work);
    return {
      outcome: outcome.kind,
      newArticles: fresh.length,
      discoveries: this.announce(
        runId,
        { id: work.id, ...update },
        committed,
        parts.map((part) => part.articleIds),
        discoveredAt,
      ),
    };
  }

  /**
   * The work with the recent-article set it left in the table, read from the feed at the version the work
   * carries (any read will do: a version names one state of the item); `undefined` when the feed is gone or
   * has moved on, which the commit would find as a conflict anyway.
   */
  private async withSeen(work: FetchableFeed): Promise<FetchableFeed | undefined> {
    const current = await this.feeds.get(work.id);
    if (current === undefined || current.version !== work.version) return undefined;
    const { seenInTable: _inTable, ...rest } = work;
    return { ...rest, ...(current.seen !== undefined ? { seen: current.seen } : {}) };
  }

  /**
   * The feed was not at the version the work carried: removed, changed by another run, or committed by an
   * earlier attempt of this very work (which crashed or failed before it was done). Only the last is this
   * work's own outcome, and it is replayed as committed.
   */
  private async afterConflict(runId: string, work: FetchableFeed): Promise<FeedResult> {
    const current = await this.feeds.get(work.id);
    const own = current?.lastCommit;
    if (!current || !own || own.runId !== runId || own.fromVersion !== work.version) {
      return { outcome: 'skipped', newArticles: 0, discoveries: [] };
    }
    return {
      outcome: own.outcome,
      newArticles: own.newArticles,
      discoveries: this.announce(
        runId,
        current,
        {
          ...(current.subscribers !== undefined ? { subscribers: current.subscribers } : {}),
          subscriberShards: current.subscriberShards ?? 1,
        },
        await this.committedParts(current.id, own),
        own.discoveredAt ?? current.lastFetchedAt ?? '',
      ),
    };
  }

  /**
   * The article ids of each discovery a commit made: read back from the article store by event id, or, for a
   * commit recorded by an earlier version, cut from the ids it listed. A discovery whose articles are gone
   * (expired) has nothing left to announce.
   */
  private async committedParts(feedId: string, commit: FeedCommitRecord): Promise<string[][]> {
    if (commit.events === undefined) {
      return discoveryParts(feedId, commit.announced ?? []).map((part) => part.articleIds);
    }
    const parts = await Promise.all(
      commit.events.map(async (eventId) =>
        (await this.articles.getDiscovery(feedId, eventId)).map((article) => article.id),
      ),
    );
    return parts.filter((ids) => ids.length > 0);
  }

  /**
   * The discoveries of a commit, for the subscribers the feed had at that instant: none for a feed nobody
   * follows (a subscription made later is stamped later than the discovery, so it would not want it), and
   * over the shards (K) the feed had then, so that no subscriber placed by a larger K is missed.
   */
  private announce(
    runId: string,
    feed: { readonly id: string; readonly url: string; readonly title?: string },
    at: CommittedFeed,
    parts: readonly (readonly string[])[],
    discoveredAt: string,
  ): ArticlesDiscovered[] {
    if (parts.length === 0 || at.subscribers === 0) return [];
    const about: DiscoveredFeed = {
      id: feed.id,
      url: feed.url,
      ...(feed.title !== undefined ? { title: feed.title } : {}),
      subscriberShards: at.subscriberShards,
    };
    return parts.map((articleIds) => articlesDiscovered(runId, about, articleIds, discoveredAt));
  }
}

/**
 * What a fetch step's record keeps of its announcements, so that a resume finds every discovery of a run and
 * can tell whether its fan-out started: `<feedId>/<eventId>/<K>` each, and the number of fan-out chains (Σ K).
 */
function announcedRecord(discoveries: readonly ArticlesDiscovered[]): { announced?: string; chains?: number } {
  if (discoveries.length === 0) return {};
  return {
    announced: discoveries.map((d) => `${d.feedId}/${d.eventId}/${d.subscriberShards}`).join(' '),
    chains: discoveries.reduce((sum, d) => sum + d.subscriberShards, 0),
  };
}

function toOutcome(result: FetchResult): FetchOutcome {
  switch (result.kind) {
    case 'fetched':
      return {
        kind: 'fetched',
        etag: result.etag,
        lastModified: result.lastModified,
        title: result.document.feed.title,
        movedTo: result.permanentRedirect,
        freshForSeconds: result.freshForSeconds,
        publisherSchedule: result.document.schedule,
      };
    case 'notModified':
      return {
        kind: 'notModified',
        etag: result.etag,
        lastModified: result.lastModified,
        movedTo: result.permanentRedirect,
        freshForSeconds: result.freshForSeconds,
      };
    case 'failed':
      if (result.error.code === 'gone') return { kind: 'gone', message: result.error.message };
      return {
        kind: 'failed',
        code: result.error.code,
        message: result.error.message,
        retryAfterSeconds: result.error.retryAfterSeconds,
        hostWide: result.error.hostWide,
      };
  }
}
