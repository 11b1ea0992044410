// Loaded up front: Jest's ES module loader can fail ("request for … is not in cache") when two dynamic imports
// sharing modules not yet loaded run at once, as the management commands' two imports of the embedded stack do.
import '../../src/entrypoints/cli/commands/local.js';
import { main } from '../../src/entrypoints/cli/main.js';
import { repoRoot, type RunResult } from './support.js';

/** What a command run in-process sees besides its arguments. */
export interface InProcessOptions {
  /** Extra environment; FEEDRELAY_ALLOW_NETWORKS, FEEDRELAY_FAULTS and LOG_LEVEL are unset unless given here. */
  readonly env?: Record<string, string>;
  /** The working directory (default: the repository, as `feedrelay()` runs). */
  readonly cwd?: string;
}

/**
 * Runs `feedrelay …args` inside the test's own process: the CLI's `main()`, the entry function `bin/feedrelay.js`
 * calls, with the environment and working directory a process would get from `feedrelay()` in support.ts, and
 * stdout and stderr (the commands' logs included) captured. It answers as `feedrelay()` does, exit status and
 * all, without starting a Node process and loading the AWS SDK each time. What only a real process shows is
 * tested on real processes: the bin, stdin, signals, a kill, serve.
 *
 * One run at a time: the process's environment, working directory and streams are swapped while it runs. Run
 * nothing else that writes to stdout or stderr meanwhile.
 */
export function feedrelayInProcess(args: readonly string[], options: InProcessOptions = {}): Promise<RunResult> {
  const run = queue.then(() => capture(args, options));
  queue = run.catch(() => undefined);
  return run;
}

let queue: Promise<unknown> = Promise.resolve();

async function capture(args: readonly string[], options: InProcessOptions): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  const env = { ...process.env };
  const cwd = process.cwd();
  const exitCode = process.exitCode;
  delete process.env.FEEDRELAY_ALLOW_NETWORKS;
  delete process.env.FEEDRELAY_FAULTS;
  delete process.env.LOG_LEVEL;
  Object.assign(process.env, options.env ?? {});
  process.chdir(options.cwd ?? repoRoot);
  process.stdout.write = collect(out);
  process.stderr.write = collect(err);
  const started = Date.now();
  try {
    const code = await main(args);
    return { code, signal: null, stdout: out.join(''), stderr: err.join(''), elapsedMs: Date.now() - started };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    process.chdir(cwd);
    process.exitCode = exitCode;
    for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
    Object.assign(process.env, env);
  }
}

function collect(sink: string[]): typeof process.stdout.write {
  return ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = rest.find((r): r is () => void => typeof r === 'function');
    done?.();
    return true;
  }) as typeof process.stdout.write;
}
