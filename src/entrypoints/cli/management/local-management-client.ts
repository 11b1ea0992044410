import { AddFeeds } from '../../../application/use-cases/add-feeds.js';
import { ListFeeds } from '../../../application/use-cases/list-feeds.js';
import { ListRuns } from '../../../application/use-cases/list-runs.js';
import { ListSubscriptions } from '../../../application/use-cases/list-subscriptions.js';
import { RemoveFeeds } from '../../../application/use-cases/remove-feeds.js';
import { Subscribe } from '../../../application/use-cases/subscribe.js';
import { SummarizeRun } from '../../../application/use-cases/summarize-run.js';
import type { LocalApp } from '../../local/local-app.js';
import type { LocalStores } from '../../local/local-stores.js';
import { newSecret } from '../../secrets.js';
import { describeFeed, describeSubscription, type FeedView, type SubscriptionView } from '../../views.js';
import { sinkOf, type FeedEntry, type ManagementClient, type SubscriptionRequest } from './management-client.js';

/** `runs list` shows this many runs unless told otherwise. */
const DEFAULT_RUNS_LISTED = 20;

/**
 * The management commands on the embedded stack in the data directory: the use cases, through the container,
 * as `crawl` and the Lambda handlers call them. Feeds and subscriptions need only the tables (`openStores`,
 * quick to open); runs need the whole local app (`openApp`). What a call needs is opened on the first call and
 * closed by `close`; one command uses one or the other.
 */
export class LocalManagementClient implements ManagementClient {
  private app: Promise<LocalApp> | undefined;
  private stores: Promise<LocalStores> | undefined;

  constructor(
    private readonly openStores: () => Promise<LocalStores>,
    private readonly openApp: () => Promise<LocalApp>,
  ) {}

  async addFeeds(entries: readonly FeedEntry[]) {
    const result = await (await this.tables()).container.get(AddFeeds).execute(entries);
    return { added: result.added.map(describeFeed), existing: result.existing, failed: [] };
  }

  async *listFeeds(): AsyncGenerator<FeedView> {
    for await (const feed of (await this.tables()).container.get(ListFeeds).execute()) yield describeFeed(feed);
  }

  async removeFeeds(urls: readonly string[]) {
    return { ...(await (await this.tables()).container.get(RemoveFeeds).execute(urls)), failed: [] };
  }

  async subscribe(requests: readonly SubscriptionRequest[]) {
    // A webhook's plain secret (given or generated) is shown when its subscription is created (or revived under
    // it); it is stored sealed.
    const inputs = requests.map((r) => ({
      feedUrl: r.feedUrl,
      sink: sinkOf(r),
      ...(r.webhook !== undefined ? { secret: r.secret ?? newSecret() } : {}),
    }));
    const result = await (await this.tables()).container.get(Subscribe).execute(inputs);
    // Of requests naming one subscription, the last one's secret is the one stored: each shows that one.
    const stored = new Map(result.subscriptions.map((s, i) => [s.id, inputs[i]!.secret]));
    return {
      subscriptions: result.subscriptions.map((s) => {
        const secret = stored.get(s.id);
        return {
          ...describeSubscription(s),
          ...(result.createdIds.has(s.id) && secret !== undefined ? { secret } : {}),
        };
      }),
      created: result.created,
      failed: [],
    };
  }

  async *listSubscriptions(feedUrl?: string): AsyncGenerator<SubscriptionView> {
    const app = await this.tables();
    for await (const s of app.container.get(ListSubscriptions).execute(feedUrl)) yield describeSubscription(s);
  }

  async listRuns(limit: number | undefined) {
    return (await this.opened()).container.get(ListRuns).execute(limit ?? DEFAULT_RUNS_LISTED);
  }

  async showRun(runId: string) {
    return (await this.opened()).container.get(SummarizeRun).execute(runId);
  }

  /**
   * Records the run and sends its first step, then returns: nothing works the queues here, so the run goes on
   * when `feedrelay serve`, `crawl` or `runs resume RUN` next opens the data directory (they send again the work
   * of unfinished runs).
   */
  async startRun(force: boolean) {
    const { runId } = await (await this.opened()).handlers.startCrawl({ force });
    return { runId };
  }

  async close(): Promise<void> {
    const openings = [this.app, this.stores];
    this.app = undefined;
    this.stores = undefined;
    // A stack that failed to open has nothing to close; its error went to the call that opened it.
    for (const opening of openings) {
      const opened = await opening?.catch(() => undefined);
      if (opened) await opened.close();
    }
  }

  private opened(): Promise<LocalApp> {
    this.app ??= this.openApp();
    return this.app;
  }

  private tables(): Promise<LocalStores> {
    this.stores ??= this.openStores();
    return this.stores;
  }
}
