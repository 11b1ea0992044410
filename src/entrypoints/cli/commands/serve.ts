import http from 'node:http';
import { Cron } from 'croner';
import { AddFeeds } from '../../../application/use-cases/add-feeds.js';
import { ListFeeds } from '../../../application/use-cases/list-feeds.js';
import { SummarizeRun } from '../../../application/use-cases/summarize-run.js';
import { ListRuns } from '../../../application/use-cases/list-runs.js';
import type { Feed } from '../../../domain/feed.js';
import { intFlag, parseCommandArgs, rejectStray } from '../args.js';
import { UsageError } from '../cli-errors.js';
import type { Output } from '../output.js';
import { describeFeed } from './feeds.js';
import { createLogger } from '../../logger.js';
import { openFromFlags } from './local.js';
import { DEFAULT_STOP_GRACE_MS } from '../../local/local-app.js';
import { StopSignals } from '../stop-signals.js';

/**
 * `feedrelay serve`: long-running on the embedded stack — the workers drive the queues, a cron schedule starts
 * crawl runs, and a small management API listens on loopback:
 * `GET /feeds`, `POST /feeds {"url"}`, `POST /runs {"force"}` (start a run), `GET /runs/:id` (its summary).
 */
export async function serveCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('serve', args, {
    schedule: { type: 'string' },
    port: { type: 'string' },
    concurrency: { type: 'string' },
    'stop-grace-ms': { type: 'string' },
  });
  rejectStray(
    'serve',
    positionals,
    'feedrelay serve [--schedule CRON] [--port N] [--concurrency N] [--stop-grace-ms N]',
  );
  const graceMs = intFlag('stop-grace-ms', values['stop-grace-ms'], DEFAULT_STOP_GRACE_MS, 0, 600_000);
  const schedule = typeof values.schedule === 'string' ? values.schedule : '*/15 * * * *';
  const port = intFlag('port', values.port, 8787, 0, 65535);
  const concurrency = intFlag('concurrency', values.concurrency, 5, 1, 1000);
  try {
    new Cron(schedule, { paused: true }).stop();
  } catch (error) {
    throw new UsageError(`--schedule: not a cron expression: ${(error as Error).message}`);
  }

  // A long-running service logs what it does (JSON lines on stderr); one-shot commands only warnings.
  const app = await openFromFlags(values, { concurrency, logger: createLogger(process.env.LOG_LEVEL ?? 'info') });
  // What an earlier process left unfinished is sent again before the runtime takes any work.
  await app.recover();
  app.runtime.start();
  const startRun = async (force: boolean) => {
    const { runId } = await app.handlers.startCrawl({ force });
    app.logger.info({ runId }, 'crawl run started');
    return runId;
  };
  const job = new Cron(schedule, { protect: true }, () => {
    startRun(false).catch((error: unknown) => app.logger.error({ err: error }, 'scheduled crawl failed to start'));
  });

  const server = http.createServer((request, response) => {
    handle(request).then(
      ({ status, body }) =>
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (error: unknown) =>
        response.writeHead(400, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: { code: (error as { code?: string }).code ?? 'bad_request', message: (error as Error).message },
          }),
        ),
    );
  });
  const handle = async (request: http.IncomingMessage): Promise<{ status: number; body: unknown }> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'GET' && url.pathname === '/feeds') {
      const feeds: Feed[] = [];
      for await (const feed of app.container.get(ListFeeds).execute()) feeds.push(feed);
      return { status: 200, body: { feeds: feeds.map(describeFeed), count: feeds.length } };
    }
    if (request.method === 'POST' && url.pathname === '/feeds') {
      const body = (await readJson(request)) as { url?: unknown };
      if (typeof body.url !== 'string')
        return { status: 400, body: { error: { code: 'invalid_request', message: 'expected {"url": "…"}' } } };
      const result = await app.container.get(AddFeeds).execute([{ url: body.url }]);
      return { status: result.added.length ? 201 : 200, body: { added: result.added.map(describeFeed) } };
    }
    if (request.method === 'POST' && url.pathname === '/runs') {
      const body = (await readJson(request)) as { force?: unknown };
      return { status: 202, body: { runId: await startRun(body.force === true) } };
    }
    if (request.method === 'GET' && url.pathname === '/runs') {
      return { status: 200, body: { runs: await app.container.get(ListRuns).execute(RUNS_LISTED) } };
    }
    const run = /^\/runs\/([\w-]+)$/.exec(url.pathname);
    if (request.method === 'GET' && run)
      return { status: 200, body: await app.container.get(SummarizeRun).execute(run[1]!) };
    return { status: 404, body: { error: { code: 'not_found', message: `${request.method} ${url.pathname}` } } };
  };
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  output.note(
    `feedrelay serve: schedule "${schedule}", next run ${job.nextRun()?.toISOString() ?? 'never'}; API on http://127.0.0.1:${address.port}`,
  );

  // SIGTERM/SIGINT is how a service is stopped: no new runs, no API, no new work; what runs may finish (for
  // at most graceMs); then the stack closes, the data directory is released and the process exits 0.
  const stop = new StopSignals();
  const signal = await stop.stopped;
  output.note(`feedrelay serve: ${signal}: stopping, waiting up to ${graceMs} ms for the work in flight`);
  job.stop();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
  await app.close({ graceMs });
  stop.dispose();
  output.note('feedrelay serve: stopped');
}

/** Runs `GET /runs` lists, newest first. */
const RUNS_LISTED = 20;

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? {} : JSON.parse(text);
}
