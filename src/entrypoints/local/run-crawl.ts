import { TOKENS } from '../../application/tokens.js';
import { ListFeeds } from '../../application/use-cases/list-feeds.js';
import { SummarizeRun } from '../../application/use-cases/summarize-run.js';
import type { CrawlRunCounters, CrawlRunSummary } from '../../domain/crawl-run.js';
import type { LocalApp } from './local-app.js';

/** The crawl summary of the contract: the run's counters, its wall time and the AWS requests it sent. */
export interface CrawlReport extends CrawlRunCounters {
  readonly runId: string;
  readonly durationMs: number;
  readonly awsRequests: { readonly total: number; readonly byOperation: Record<string, number> };
}

/** How far a crawl has got: feeds fetched of the table's `total`, and deliveries made. */
export interface CrawlProgress {
  readonly fetched: number;
  readonly total: number;
  readonly deliveries: number;
}

export interface RunCrawlOptions {
  readonly force: boolean;
  /** Stops waiting (the run goes on when the app is opened again): `crawl` on SIGTERM. */
  readonly signal?: AbortSignal;
  /** Told four times a second while the run goes on; the feed table is counted first when it is given. */
  readonly onProgress?: (progress: CrawlProgress) => void;
}

/**
 * One complete run on the embedded stack, for `crawl`, `demo`, the benchmark and the tests: resumes what an
 * earlier process left unfinished, starts a run, lets the runtime work the queues until nothing is left but
 * parked retries, and reports. The AWS request tally covers the run itself, not the summary's own reads.
 */
export async function runCrawl(app: LocalApp, options: RunCrawlOptions): Promise<CrawlReport> {
  const total = options.onProgress ? await countFeeds(app) : 0;
  const started = Date.now();
  app.requests.reset();
  // What an earlier process left unfinished is sent again first (before the runtime takes any work), and done
  // before this run returns.
  await app.recover();
  app.runtime.start();
  const before = app.runtime.stats().completed;
  const { runId } = await app.handlers.startCrawl({ force: options.force });
  const onProgress = options.onProgress;
  const ticker = onProgress
    ? setInterval(() => {
        const now = app.runtime.stats().completed;
        const since = (queue: 'fetchFeed' | 'deliver') => (now[queue] ?? 0) - (before[queue] ?? 0);
        onProgress({ fetched: Math.min(total, since('fetchFeed')), total, deliveries: since('deliver') });
      }, 250)
    : undefined;
  try {
    await app.runtime.waitForIdle({
      timeoutMs: 24 * 60 * 60 * 1000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    if (ticker) clearInterval(ticker);
  }
  const durationMs = Date.now() - started;
  const awsRequests = app.requests.snapshot();
  const summary: CrawlRunSummary = await app.container.get(SummarizeRun).execute(runId);
  // Seen complete: the next start need not read this run's records again to find out.
  if (summary.complete) await app.container.get(TOKENS.RunStore).markFinished(runId);
  return {
    runId,
    feeds: summary.feeds,
    fetched: summary.fetched,
    notModified: summary.notModified,
    failed: summary.failed,
    newArticles: summary.newArticles,
    notifications: summary.notifications,
    durationMs,
    awsRequests: { total: awsRequests.total, byOperation: { ...awsRequests.byOperation } },
  };
}

/** The size of the feed table, read before the run so that its requests are not the run's. */
async function countFeeds(app: LocalApp): Promise<number> {
  let count = 0;
  for await (const _feed of app.container.get(ListFeeds).execute(1000)) count++;
  return count;
}
