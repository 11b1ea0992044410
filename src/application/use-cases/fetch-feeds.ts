import { inject, injectable, optional } from 'inversify';
import { identifyArticles, type Article } from '../../domain/article.js';
import {
  discoveriesOf,
  discoveryParts,
  EMPTY_FETCH_TALLY,
  tallyOutcome,
  type ArticlesDiscovered,
  type DiscoveredFeed,
  type FeedRunOutcome,
  type FetchTally,
} from '../../domain/crawl-run.js';
import { afterFetch, confirmsMove, feedIdFor, type FetchableFeed, type FetchOutcome } from '../../domain/feed.js';
import { concernsHost, hostHoldAfter, hostOf, isHeld, type HostHold } from '../../domain/host.js';
import { rememberDocument, unseen } from '../../domain/recent-articles.js';
import { Limiter } from '../bounded.js';
import { HostGate } from '../host-limits.js';
import type { ArticleStore } from '../ports/article-store.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { EventPublisher } from '../ports/event-publisher.port.js';
import type { FeedFetcher, FetchResult } from '../ports/feed-fetcher.port.js';
import type { CommittedFeed, FeedRepository } from '../ports/feed-store.port.js';
import type { HostPoliteness } from '../ports/host-politeness.port.js';
import { schedulePolicyOf, type RelaySettings } from '../settings.js';
import { fetchStepPrefix } from '../step-ids.js';
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

/** A feed not fetched because its host asked to be left alone: not a failure, it stays due for a later run. */
const DEFERRED: FeedResult = { outcome: 'skipped', newArticles: 0, discoveries: [] };

/** The longest a fetch waits for its slot of a host's configured rate before its feed is left for a later run. */
const MAX_HOST_WAIT_MS = 20_000;

/**
 * Fetches the feeds of one message, stores what they list that they had not listed lately, and announces
 * it. The message is one step of the ledger, whose record is its tally: one claim and one completion per
 * message, none per feed. Each feed's work carries its state, so a 304 costs no request; a change is
 * committed with a write conditional on the version the scan read, so a feed removed meanwhile never comes
 * back and a stale copy of the work commits nothing. What is new is what the committed recent-article set
 * did not hold; the commit also records what it announced, so a retry that finds its own commit announces
 * exactly that again, under the same event ids.
 *
 * Politeness: the holds on the message's hosts are read once per message (one request for all of them); a
 * feed on a held host is not fetched and stays due (`skipped`). A host that asks to slow down (429, 503) or
 * stops answering is held for every worker, with one write. Hosts with a configured limit wait for their turn.
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
    @inject(TOKENS.HostPoliteness) @optional() private readonly hosts?: HostPoliteness,
  ) {
    this.fetches = new Limiter(settings.fetchConcurrency);
    const shared = this.hosts;
    this.gate = new HostGate(settings.hostLimits, {
      now: () => this.clock.now().getTime(),
      maxWaitMs: MAX_HOST_WAIT_MS,
      ...(shared ? { turns: shared.takeTurn.bind(shared) } : {}),
    });
  }

  /** Fetches under way in this environment, over all the messages of its invocation. */
  private readonly fetches: Limiter;
  /** The configured per-host limits, in this environment. */
  private readonly gate: HostGate;
  /** Holds this environment knows of (read or made), so that its later messages need not learn them again. */
  private readonly knownHolds = new Map<string, HostHold>();
  private readonly policy = () => schedulePolicyOf(this.settings);

  async execute(message: FetchFeedMessage): Promise<FetchFeedsResult> {
    const segment = message.batch.split('.')[0]!;
    const result = await this.steps.once(`${fetchStepPrefix(message.runId, segment)}${message.batch}`, async () => {
      const holds = await this.holdsOn(message.feeds);
      const results = await Promise.all(
        message.feeds.map((feed) => this.fetches.run(() => this.fetchPolitely(message.runId, feed, holds))),
      );
      const discoveries = results.flatMap((r) => r.discoveries);
      if (discoveries.length > 0) await this.events.publish(discoveries);
      const tally = results.reduce((t, r) => tallyOutcome(t, r.outcome, r.newArticles), EMPTY_FETCH_TALLY);
      return { value: tally, record: { ...tally } };
    });
    return result.ran ? { kind: 'fetched', ...result.value } : { kind: 'skipped', reason: result.reason };
  }

  /** The holds in force on the hosts of a message's feeds: one read for all of them, merged with those known here. */
  private async holdsOn(feeds: readonly FetchableFeed[]): Promise<Map<string, HostHold>> {
    const now = this.clock.now();
    const hosts = [...new Set(feeds.map((feed) => hostOf(feed.url)))];
    const holds = new Map<string, HostHold>();
    for (const host of hosts) {
      const known = this.knownHolds.get(host);
      if (known !== undefined && isHeld(known, now)) holds.set(host, known);
      else this.knownHolds.delete(host);
    }
    const unknown = hosts.filter((host) => !holds.has(host));
    const stored =
      this.hosts && unknown.length > 0 ? await this.hosts.holdsOn(unknown, now) : new Map<string, HostHold>();
    for (const [host, hold] of stored) {
      holds.set(host, hold);
      this.knownHolds.set(host, hold);
    }
    return holds;
  }

  /** Fetches a feed unless its host is held (then it stays due), within its host's limit, and holds the host if it misbehaves. */
  private async fetchPolitely(runId: string, work: FetchableFeed, holds: Map<string, HostHold>): Promise<FeedResult> {
    const host = hostOf(work.url);
    if (isHeld(holds.get(host), this.clock.now())) return DEFERRED;
    const result = await this.gate.run(host, async () => {
      // A hold made while this fetch waited for its turn applies to it too.
      if (isHeld(holds.get(host), this.clock.now())) return DEFERRED;
      return this.fetchOne(runId, work, (outcome, now) => this.holdHost(host, outcome, work, now, holds));
    });
    return result === 'deferred' ? DEFERRED : result;
  }

  /** Records that a host asked to slow down or stopped answering, once per hold, for every worker. */
  private async holdHost(
    host: string,
    outcome: FetchOutcome,
    work: FetchableFeed,
    now: Date,
    holds: Map<string, HostHold>,
  ): Promise<void> {
    if (!concernsHost(outcome) || isHeld(holds.get(host), now)) return;
    const hold = hostHoldAfter(host, outcome, work.errorCount + 1, now, this.policy());
    holds.set(host, hold);
    this.knownHolds.set(host, hold);
    await this.hosts?.hold(hold);
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

  private async fetchOne(
    runId: string,
    work: FetchableFeed,
    misbehaved: (outcome: FetchOutcome, now: Date) => Promise<void>,
  ): Promise<FeedResult> {
    const result = await this.fetcher.fetch({ url: work.url, etag: work.etag, lastModified: work.lastModified });
    const now = this.clock.now();
    let fresh: Article[] = [];
    let seen: string | undefined;
    if (result.kind === 'fetched') {
      const articles = identifyArticles(result.document.items);
      const ids = articles.map((a) => a.id);
      const freshIds = new Set(unseen(work.seen, ids));
      fresh = articles.filter((a) => freshIds.delete(a.id));
      seen = rememberDocument(work.seen, ids);
    }
    const outcome = toOutcome(result);
    await misbehaved(outcome, now);
    const movedTo = outcome.kind === 'fetched' || outcome.kind === 'notModified' ? outcome.movedTo : undefined;
    const moveRefused = confirmsMove(work, movedTo) ? await this.moveRefused(work, movedTo) : undefined;
    const { update, changed } = afterFetch(work, outcome, now, {
      seen,
      policy: this.policy(),
      ...(moveRefused !== undefined ? { moveRefused } : {}),
    });
    if (!changed) return { outcome: outcome.kind, newArticles: 0, discoveries: [] };

    const discoveredAt = now.toISOString();
    // Each discovery's articles are stored together before the commit that makes them known.
    const byId = new Map(fresh.map((article) => [article.id, article]));
    await Promise.all(
      discoveryParts(
        work.id,
        fresh.map((a) => a.id),
      ).map((part) =>
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
    const announced = fresh.map((a) => a.id);
    const committed = await this.feeds.commit(work.id, work.version, {
      ...update,
      lastCommit: {
        runId,
        fromVersion: work.version,
        outcome: outcome.kind,
        newArticles: fresh.length,
        ...(announced.length > 0 ? { announced, discoveredAt } : {}),
      },
    });
    if (committed === 'conflict') return this.afterConflict(runId, work);
    return {
      outcome: outcome.kind,
      newArticles: fresh.length,
      discoveries: this.announce(runId, { id: work.id, ...update }, committed, announced, discoveredAt),
    };
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
        own.announced ?? [],
        own.discoveredAt ?? current.lastFetchedAt ?? '',
      ),
    };
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
    articleIds: readonly string[],
    discoveredAt: string,
  ): ArticlesDiscovered[] {
    if (articleIds.length === 0 || at.subscribers === 0) return [];
    const about: DiscoveredFeed = {
      id: feed.id,
      url: feed.url,
      ...(feed.title !== undefined ? { title: feed.title } : {}),
      subscriberShards: at.subscriberShards,
    };
    return discoveriesOf(runId, about, articleIds, discoveredAt);
  }
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
