import { DEFAULT_STOP_GRACE_MS } from '../../local/local-app.js';
import { runCrawl, type CrawlReport } from '../../local/run-crawl.js';
import { intFlag, parseCommandArgs, rejectStray } from '../args.js';
import type { Output } from '../output.js';
import { Progress } from '../progress.js';
import { StopSignals } from '../stop-signals.js';
import { openFromFlags } from './local.js';

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
    const progress = new Progress(output, 'crawl');
    const report = await runCrawl(app, {
      force: values.force === true,
      signal: stop.signal,
      onProgress: ({ fetched, total, deliveries }) =>
        progress.update(fetched, total, `feeds, ${deliveries} deliveries`),
    }).finally(() => progress.done());
    output.result(report, renderReport);
  } finally {
    await app.close({ graceMs });
    stop.dispose();
  }
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
