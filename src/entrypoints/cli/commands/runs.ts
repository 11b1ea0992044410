import type { ListedRunSummary } from '../../../application/use-cases/list-runs.js';
import { ResumeRun, type ResumeReport } from '../../../application/use-cases/resume-run.js';
import { SummarizeRun } from '../../../application/use-cases/summarize-run.js';
import type { CrawlRunSummary } from '../../../domain/crawl-run.js';
import { intFlag, parseCommandArgs, rejectStray } from '../args.js';
import { UsageError } from '../cli-errors.js';
import { RUNS_USAGE } from '../usage.js';
import type { Output } from '../output.js';
import { DEFAULT_STOP_GRACE_MS } from '../../local/local-app.js';
import { StopSignals } from '../stop-signals.js';
import { TARGET_OPTIONS, targetOf, withManagementClient } from '../management/target.js';
import { openFromFlags } from './local.js';

/**
 * `feedrelay runs …`: where each run stands (`list`, `show`), `start`, which starts a run and returns without
 * waiting for it, and `resume`, which sends again whatever work of an unfinished run was lost and waits until it
 * is done (on the embedded stack only). `list`, `show` and `start` work through a management API too.
 */
export async function runsCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('runs', args, {
    ...TARGET_OPTIONS,
    limit: { type: 'string' },
    force: { type: 'boolean' },
  });
  const [action, ...rest] = positionals;
  if (action === 'list' || action === 'show' || action === 'resume' || action === 'start') {
    rejectStray(`runs ${action}`, rest.slice(action === 'list' || action === 'start' ? 0 : 1), RUNS_USAGE);
  }
  if (values.force !== undefined && action !== 'start') throw new UsageError(`runs: --force is for runs start only`);
  if (values.limit !== undefined && action !== 'list') throw new UsageError(`runs: --limit is for runs list only`);
  if (action === 'list' && rest.length === 0) {
    const limit = values.limit === undefined ? undefined : intFlag('limit', values.limit, 20, 1, 1000);
    const runs = await withManagementClient(values, (client) => client.listRuns(limit));
    output.result({ runs }, (r) => (r.runs.length === 0 ? 'no runs yet' : r.runs.map(renderListed).join('\n')));
    return;
  }
  if (action === 'show' && rest.length === 1) {
    const summary = await withManagementClient(values, (client) => client.showRun(rest[0]!));
    output.result(summary, renderSummary);
    return;
  }
  if (action === 'start' && rest.length === 0) {
    const force = values.force === true;
    const local = targetOf(values).kind === 'local';
    const started = await withManagementClient(values, (client) => client.startRun(force));
    output.result(started, (r) =>
      local
        ? `run ${r.runId} started; it goes on when "feedrelay serve", "crawl" or "runs resume ${r.runId}" next runs here`
        : `run ${r.runId} started; "feedrelay runs show ${r.runId}" tells where it stands`,
    );
    return;
  }
  if (action === 'resume' && rest.length === 1) {
    if (targetOf(values).kind !== 'local') {
      throw new UsageError('runs resume works on the embedded stack (--data-dir) only, not through a --target');
    }
    const runId = rest[0]!;
    const app = await openFromFlags(values);
    // SIGTERM/SIGINT stop it as they stop a crawl: no new work, what runs may finish, then it closes.
    const stop = new StopSignals((signal) => output.note(`feedrelay runs resume: ${signal}: stopping`));
    let result: { resumed: ResumeReport; summary: CrawlRunSummary };
    try {
      // This process holds the data directory: no one else is working on the run's steps.
      const resumed = await app.container.get(ResumeRun).execute(runId, { holdersGone: true });
      app.runtime.start();
      await app.runtime.waitForIdle({ timeoutMs: 24 * 60 * 60 * 1000, signal: stop.signal });
      result = { resumed, summary: await app.container.get(SummarizeRun).execute(runId) };
    } finally {
      await app.close({ graceMs: DEFAULT_STOP_GRACE_MS });
      stop.dispose();
    }
    output.result({ ...result.summary, resumed: resentOf(result.resumed) }, (r) =>
      [renderResumed(result.resumed), renderSummary(r)].join('\n'),
    );
    return;
  }
  throw new UsageError(`runs: usage: ${RUNS_USAGE}`);
}

function resentOf(report: ResumeReport) {
  const { runId: _runId, complete: _complete, ...sent } = report;
  return sent;
}

function renderResumed(report: ResumeReport): string {
  if (report.complete) return `run ${report.runId} was already complete: nothing to resume`;
  return (
    `run ${report.runId} resumed: sent again ${report.scanSteps} scan step(s), ${report.fetches} fetch message(s), ` +
    `${report.fanOutSteps} fan-out step(s), ${report.deliveries} delivery message(s), ${report.retries} retry(ies)`
  );
}

function renderListed(run: ListedRunSummary): string {
  const n = run.notifications;
  return (
    `${run.runId}  ${run.startedAt}  ${run.complete ? 'complete  ' : 'unfinished'}  ` +
    `${run.feeds} feed(s), ${run.newArticles} new, delivered ${n.delivered}, failed ${n.failed}, pending ${n.pending}`
  );
}

export function renderSummary(run: CrawlRunSummary): string {
  const { scan, fetches, fanOut, deliveries } = run.progress;
  const n = run.notifications;
  return [
    `run ${run.runId}: ${run.complete ? 'complete' : 'unfinished'}`,
    `  scan: ${scan.segmentsDone}/${scan.segments} segment(s) done, ${scan.pages} page(s), ${run.feeds} feed(s) dispatched`,
    `  fetches: ${fetches.done}/${fetches.batches} message(s) done; fetched ${run.fetched}, not modified ${run.notModified}, failed ${run.failed}, new articles ${run.newArticles}`,
    `  fan-out: ${fanOut.discoveries} discovery(ies), ${fanOut.chainsDone}/${fanOut.chains} chain(s) done; ${deliveries.done}/${deliveries.batches} delivery message(s) done for ${deliveries.recipients} recipient(s)`,
    `  notifications: delivered ${n.delivered}, failed ${n.failed}, pending ${n.pending}`,
  ].join('\n');
}
