import { main } from '../../src/entrypoints/cli/main.js';
import type { RunResult } from './support.js';

/**
 * Runs `feedrelay …args` inside the test's own process: the CLI's `main()`, with stdout and stderr captured, for
 * tests of argument parsing and usage errors, which need no process of their own (exit status, signals, a kill
 * and stdout purity are tested on real processes: `feedrelay()` in support.ts). One run at a time: the process's
 * streams are swapped while it runs.
 */
export function feedrelayInProcess(args: readonly string[]): Promise<RunResult> {
  const run = queue.then(() => capture(args));
  queue = run.catch(() => undefined);
  return run;
}

let queue: Promise<unknown> = Promise.resolve();

async function capture(args: readonly string[]): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = collect(out);
  process.stderr.write = collect(err);
  const started = Date.now();
  try {
    const code = await main(args);
    return { code, signal: null, stdout: out.join(''), stderr: err.join(''), elapsedMs: Date.now() - started };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
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
