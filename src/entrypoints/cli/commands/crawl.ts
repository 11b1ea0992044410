import { ListFeeds } from '../../../application/use-cases/list-feeds.js';
import { TOKENS } from '../../../application/tokens.js';
import { SummarizeRun } from '../../../application/use-cases/summarize-run.js';
import type { CrawlRunCounters, CrawlRunSummary } from '../../../domain/crawl-run.js';
import { DEFAULT_STOP_GRACE_MS, type LocalApp } from '../../local/local-app.js';
import { intFlag, parseCommandArgs, rejectStray } from '../args.js';
import type { Output } from '../output.js';
import { Progress } from '../progress.js';
import { StopSignals } from '../stop-signals.js';
import { openFromFlags } from './local.js';

/** The crawl summary of the contract: the run's counters, its wall time and the AWS requests it sent. */
export interface CrawlReport extends CrawlRunCounters {
  readonly runId: string;
  readonly durationMs: number;
  readonly awsRequests: { readonly total: number; readonly byOperation: Record<string, number> };
}

/** `feedrelay crawl [--force] [--concurrency N]`: one complete run on the embedded stack. */
export async function crawlCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('crawl', args, {
    force: { type: 'boolean' },
    concurrency: { type: 'string' },
    'stop-grace-ms': { type: 'string' },
  });
  rejectStray('crawl', positionals, 'feedrelay crawl [--force] [--concurrency N] [--stop-grace-ms N] [--json]');
  const concurrency = intFlag('concurrency', values.concurrency, 5, 1, 1000);
  const graceMs = intFlag('stop-grace-ms', values['stop-grace-ms'], DEFAULT_STOP_GRACE_MS, 0, 600_000);
  const app = await openFromFlags(values, { concurrency });
  // SIGTERM/SIGINT: stop taking work, let what runs finish (for at most graceMs), close, exit 128 + signal.
  const stop = new StopSignals((signal) =>
    output.note(`feedrelay crawl: ${signal}: stopping, waiting up to ${graceMs} ms for the work in flight`),
  );
  try {
    const report = await runCrawl(app, { force: values.force === true, output, signal: stop.signal });
    output.result(report, renderReport);
  } finally {
    await app.close({ graceMs });
    stop.dispose();
  }
}

/**
 * Starts a run, lets the runtime work the queues until nothing is left but parked retries, and reports.
 * The AWS request tally covers the run itself, not the summary's own reads.
 */
export async function runCrawl(
  app: LocalApp,
  options: { force: boolean; output?: Output; signal?: AbortSignal },
): Promise<CrawlReport> {
  const total = options.output ? await countFeeds(app) : 0;
  const started = Date.now();
  app.requests.reset();
  // What an earlier process left unfinished is sent again first (before the runtime takes any work), and done
  // before this run returns.
  await app.recover();
  app.runtime.start();
  const before = app.runtime.stats().completed;
  const { runId } = await app.handlers.startCrawl({ force: options.force });
  const progress = options.output ? new Progress(options.output, 'crawl') : undefined;
  const ticker = progress
    ? setInterval(() => {
        const now = app.runtime.stats().completed;
        const since = (queue: 'fetchFeed' | 'deliver') => (now[queue] ?? 0) - (before[queue] ?? 0);
        progress.update(Math.min(total, since('fetchFeed')), total, `feeds, ${since('deliver')} deliveries`);
      }, 250)
    : undefined;
  try {
    await app.runtime.waitForIdle({
      timeoutMs: 24 * 60 * 60 * 1000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    if (ticker) clearInterval(ticker);
    progress?.done();
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

export function renderReport(r: CrawlReport): string {
  const n = r.notifications;
  return [
    `run ${r.runId}: ${r.feeds} feed(s) in ${(r.durationMs / 1000).toFixed(1)} s`,
    `  fetched ${r.fetched}, not modified ${r.notModified}, failed ${r.failed}, new articles ${r.newArticles}`,
    `  notifications: delivered ${n.delivered}, failed ${n.failed}, pending ${n.pending}`,
    `  AWS requests: ${r.awsRequests.total} (${Object.entries(r.awsRequests.byOperation)
      .map(([op, count]) => `${op} ${count}`)
      .join(', ')})`,
  ].join('\n');
}
