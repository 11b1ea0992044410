import http from 'node:http';
import { Cron } from 'croner';
import { ConfigurationError } from '../../../application/errors.js';
import { errorResponse } from '../../api/api-http.js';
import { ApiError } from '../../api/errors.js';
import { localAccessRefusal, type LocalAccess } from '../../api/local-access.js';
import { createManagementApi } from '../../api/management-api.js';
import { nodeRequestListener } from '../../api/node-http.js';
import { apiTokenFor } from '../../local/api-token.js';
import { intFlag, parseCommandArgs, rejectStray } from '../args.js';
import { UsageError } from '../cli-errors.js';
import type { Output } from '../output.js';
import { createLogger } from '../../logger.js';
import { dataDirOf, openFromFlags } from './local.js';
import { DEFAULT_STOP_GRACE_MS } from '../../local/local-app.js';
import { StopSignals } from '../stop-signals.js';

/**
 * `feedrelay serve`: long-running on the embedded stack — the workers drive the queues, a cron schedule starts
 * crawl runs, and the management API (`createManagementApi`, the same as behind API Gateway) listens on
 * loopback, for clients that show the bearer token and name this server as Host (`localAccessRefusal`).
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
  const { token, source } = await apiTokenFor(dataDirOf(values), process.env).catch(async (error: unknown) => {
    await app.close();
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  });
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

  const api = createManagementApi(app.container, app.logger);
  // Known once listening: the port is the Host to expect.
  const listening: { access?: LocalAccess } = {};
  const server = http.createServer(
    nodeRequestListener(async (request) => {
      const { access } = listening;
      return access ? (localAccessRefusal(request, access) ?? api(request)) : NOT_LISTENING;
    }, app.logger),
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  listening.access = { token, port: address.port };
  output.note(
    `feedrelay serve: schedule "${schedule}", next run ${job.nextRun()?.toISOString() ?? 'never'}; API on http://127.0.0.1:${address.port}`,
  );
  output.note(
    'env' in source
      ? `feedrelay serve: API token from ${source.env}`
      : `feedrelay serve: API token${source.created ? ' (new)' : ''} in ${source.file}: ${token}`,
  );
  output.note('feedrelay serve: every request needs "Authorization: Bearer <token>"');

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

const NOT_LISTENING = errorResponse(new ApiError(503, 'starting', 'the API is starting'));
