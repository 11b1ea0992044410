import { FeedrelayError } from '../../domain/errors.js';
import { InterruptedError, OperationError, PartialFailureError, UsageError } from './cli-errors.js';
import { Output } from './output.js';
import { stopSignalReceived } from './stop-signals.js';
import { DLQ_USAGE, FETCH_USAGE, PARSE_USAGE, RUNS_USAGE } from './usage.js';

export const USAGE = `feedrelay — crawl feeds on a schedule, keep what is new, tell every subscriber

Usage:
  feedrelay demo                                   the main job on the embedded stack, with sample feeds
  ${PARSE_USAGE}
  ${FETCH_USAGE}
  feedrelay feeds import FILE.opml | add URL… | list [--json] | remove URL… | export
  feedrelay subscriptions import FILE.jsonl | list [--feed URL] [--json]
  feedrelay subscriptions rotate-secret FEED_URL --webhook URL [--secret whsec_…] [--grace-seconds N] [--json]
  feedrelay subscribe FEED_URL (--webhook URL [--secret whsec_…] | --sqs QUEUE_URL) [--json]
  feedrelay crawl [--force] [--concurrency N] [--stop-grace-ms N] [--json]
  feedrelay serve [--schedule CRON] [--port N] [--concurrency N] [--stop-grace-ms N]
  ${RUNS_USAGE}
  ${DLQ_USAGE}

  feedrelay --version                              the version (--json: {"version"})

Every command: --json (one JSON document on stdout), --data-dir DIR (default .feedrelay),
--allow-network CIDR (repeatable; also FEEDRELAY_ALLOW_NETWORKS=cidr,cidr).
feeds, subscriptions, subscribe and runs list|show|start also work elsewhere than the embedded stack:
  --target aws --stack NAME [--region R]   a deployed stack's management API (SigV4, default AWS credentials)
  --target http://127.0.0.1:PORT [--token T]   a running "feedrelay serve" (token: --token, FEEDRELAY_API_TOKEN,
                                           else DATA_DIR/api-token); env FEEDRELAY_TARGET, FEEDRELAY_STACK.
Exit status: 0 success, 1 the operation failed, 2 bad usage or bad input; crawl stopped by a signal: 128 + its number.`;

type Command = (args: readonly string[], output: Output) => Promise<void>;

/** Each command's module is loaded when it runs: `parse` need not load the AWS SDK. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  parse: async () => (await import('./commands/parse.js')).parseCommand,
  fetch: async () => (await import('./commands/fetch.js')).fetchCommand,
  feeds: async () => (await import('./commands/feeds.js')).feedsCommand,
  subscriptions: async () => (await import('./commands/subscriptions.js')).subscriptionsCommand,
  subscribe: async () => (await import('./commands/subscriptions.js')).subscribeCommand,
  crawl: async () => (await import('./commands/crawl.js')).crawlCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  runs: async () => (await import('./commands/runs.js')).runsCommand,
  dlq: async () => (await import('./commands/dlq.js')).dlqCommand,
};

/** How long a process that was told to stop may take to end on its own once its command returned. */
const EXIT_AFTER_STOP_MS = 1000;

/**
 * Runs one command line; returns the exit status. After a stop signal the command has closed what it owns;
 * anything it had to cut off (an invocation still running) must not keep the process alive, so it then ends
 * within `EXIT_AFTER_STOP_MS` whatever is left.
 */
export async function main(argv: readonly string[]): Promise<number> {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', ignoreGoneReader);
  const status = await run(argv);
  if (stopSignalReceived()) setTimeout(() => process.exit(status), EXIT_AFTER_STOP_MS).unref();
  return status;
}

/**
 * A reader that stopped reading (`feedrelay feeds list | head -1`) is no failure of the command: what it would
 * still print is dropped, and the command finishes its work and exits as it would have. Any other error of an
 * output stream stays fatal.
 */
function ignoreGoneReader(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
  throw error;
}

async function run(argv: readonly string[]): Promise<number> {
  const output = new Output(argv.includes('--json'));
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    const { VERSION } = await import('../../adapters/package-version.js');
    process.stdout.write(output.json ? `${JSON.stringify({ version: VERSION })}\n` : `feedrelay ${VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  try {
    if (!load) throw new UsageError(`unknown command "${name}"; run "feedrelay help" for the list`);
    if (args.includes('--help') || args.includes('-h')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const command = await load();
    await command(args, output);
    return 0;
  } catch (error) {
    return report(error, output);
  }
}

function report(error: unknown, output: Output): number {
  if (error instanceof InterruptedError) {
    output.note(`feedrelay: ${error.code}: ${error.message}`);
    if (output.json) output.raw(`${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`);
    return error.exitStatus;
  }
  if (error instanceof UsageError) {
    output.note(`feedrelay: ${error.message}`);
    if (output.json) output.raw(`${JSON.stringify({ error: { code: 'usage', message: error.message } })}\n`);
    return 2;
  }
  const failure =
    error instanceof OperationError
      ? { code: error.code, message: error.message, ...error.details }
      : {
          code: error instanceof FeedrelayError ? error.code : 'internal_error',
          message: error instanceof Error ? error.message : String(error),
        };
  const clean = Object.fromEntries(Object.entries(failure).filter(([, v]) => v !== undefined));
  if (error instanceof PartialFailureError) {
    for (const f of error.failures) output.note(`feedrelay: ${f.item}: ${f.code}: ${f.message}`);
  }
  output.note(`feedrelay: ${failure.code}: ${failure.message}`);
  if (output.json) {
    const document =
      error instanceof PartialFailureError
        ? { error: clean, ...error.result, failed: error.failures }
        : { error: clean };
    output.raw(`${JSON.stringify(document)}\n`);
  }
  return 1;
}
