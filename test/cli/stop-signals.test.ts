import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  describeRun,
  expectExit,
  feedrelay,
  jsonOf,
  LOOPBACK,
  LoopbackServer,
  repoRoot,
  scratch,
  type RunResult,
} from './support.js';

/**
 * SIGTERM and SIGINT stop `crawl` and `serve` safely: no new work is taken, handler invocations in flight may
 * finish (for at most --stop-grace-ms), then the stack closes and the data directory is released, so the next
 * command starts at once. `crawl` exits 128 + the signal's number, `serve` 0; a second signal ends at once.
 */

const RSS = `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Slow</title><link>https://slow.example/</link><description>d</description>
<item><guid>one</guid><title>One</title></item></channel></rss>`;

/** A feed whose answers wait for the test: `answer()` sends them, `requested` resolves at the first GET. */
function slowFeed(delayMs?: number) {
  let requested!: () => void;
  const firstRequest = new Promise<void>((resolve) => (requested = resolve));
  const server = new LoopbackServer((_request, response) => {
    requested();
    if (delayMs === undefined) return; // never answers
    setTimeout(() => response.writeHead(200, { 'content-type': 'application/rss+xml' }).end(RSS), delayMs);
  });
  return { server, firstRequest };
}

/** `feedrelay …` as a child this test can signal; `exited` resolves like `feedrelay()` does. */
function startFeedrelay(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...LOOPBACK };
  delete env.FEEDRELAY_FAULTS;
  delete env.LOG_LEVEL;
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'feedrelay.js'), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<RunResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    }),
  );
  return { child, exited, stderr: () => stderr };
}

interface Listed {
  feeds: { url: string; lastFetchedAt?: string; lastError?: { code: string } }[];
}

async function feedState(dataDir: string) {
  const list = await feedrelay(['feeds', 'list', '--json', '--data-dir', dataDir]);
  expectExit(list, 0);
  return jsonOf<Listed>(list).feeds[0]!;
}

/** A data directory holding one feed served by `slowFeed(delayMs)`; checks that no lock is left behind. */
async function withFeed(
  delayMs: number | undefined,
  test: (dataDir: string, firstRequest: Promise<void>) => Promise<void>,
): Promise<void> {
  const { dir, cleanup } = await scratch('feedrelay-cli-stop-');
  const feed = slowFeed(delayMs);
  await feed.server.start();
  const dataDir = path.join(dir, 'data');
  try {
    expectExit(await feedrelay(['feeds', 'add', feed.server.url('/feed.xml'), '--data-dir', dataDir]), 0);
    await test(dataDir, feed.firstRequest);
    expect((await readdir(dataDir)).filter((name) => name.startsWith('feedrelay.lock'))).toEqual([]);
  } finally {
    await feed.server.stop();
    await cleanup();
  }
}

const SLOW = 120_000;

describe('stopping crawl', () => {
  it.concurrent(
    'SIGTERM mid-fetch: the fetch in flight finishes and is recorded, then exit 143 and the data dir is free',
    () =>
      withFeed(1500, async (dataDir, firstRequest) => {
        const crawl = startFeedrelay(['crawl', '--json', '--data-dir', dataDir]);
        await firstRequest;
        crawl.child.kill('SIGTERM');
        const run = await crawl.exited;

        expectExit(run, 143);
        expect(jsonOf<{ error: { code: string } }>(run).error.code).toBe('interrupted');
        expect(run.stderr).toMatch(/SIGTERM: stopping/);
        expect((await feedState(dataDir)).lastFetchedAt).toEqual(expect.any(String));
      }),
    SLOW,
  );

  it.concurrent(
    'SIGINT with a fetch that never ends: the wait is bounded by --stop-grace-ms, the fetch is cut off (exit 130)',
    () =>
      withFeed(undefined, async (dataDir, firstRequest) => {
        const crawl = startFeedrelay(['crawl', '--stop-grace-ms', '300', '--data-dir', dataDir]);
        await firstRequest;
        crawl.child.kill('SIGINT');
        const run = await crawl.exited;

        expectExit(run, 130);
        expect(run.signal).toBeNull();
        // Cut off before its own time-out (8 s) could record a failure: the feed shows no fetch at all.
        const feed = await feedState(dataDir);
        expect(feed.lastFetchedAt).toBeUndefined();
        expect(feed.lastError).toBeUndefined();
      }),
    SLOW,
  );

  it.concurrent(
    'a second signal ends the process at once, even within a long grace period',
    () =>
      withFeed(undefined, async (dataDir, firstRequest) => {
        const crawl = startFeedrelay(['crawl', '--stop-grace-ms', '600000', '--data-dir', dataDir]);
        await firstRequest;
        crawl.child.kill('SIGTERM');
        await new Promise<void>((resolve) => {
          const check = setInterval(() => {
            if (/SIGTERM: stopping/.test(crawl.stderr())) {
              clearInterval(check);
              resolve();
            }
          }, 20);
        });
        crawl.child.kill('SIGTERM');
        const run = await crawl.exited;

        expect(run.code).toBe(143);
        expect(run.signal).toBeNull();
        expect((await feedState(dataDir)).lastError).toBeUndefined();
      }),
    SLOW,
  );
});

describe('stopping serve', () => {
  it.concurrent(
    'SIGTERM while a scheduled run fetches: the fetch finishes and is recorded, then exit 0 and the data dir is free',
    () =>
      withFeed(1500, async (dataDir, firstRequest) => {
        // A schedule of every second: the first run starts at once.
        const serve = startFeedrelay(['serve', '--port', '0', '--schedule', '* * * * * *', '--data-dir', dataDir]);
        await firstRequest;
        serve.child.kill('SIGTERM');
        const run = await serve.exited;

        if (run.code !== 0) throw new Error(`expected exit 0, got ${describeRun(run)}`);
        expect(run.stderr).toMatch(/SIGTERM: stopping/);
        expect(run.stderr).toMatch(/serve: stopped/);
        expect((await feedState(dataDir)).lastFetchedAt).toEqual(expect.any(String));
      }),
    SLOW,
  );
});
