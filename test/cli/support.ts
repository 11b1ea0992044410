import { spawn } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from '@jest/globals';

/**
 * Black-box helpers for the `feedrelay` command: run it as a user would (a child process of the built
 * `bin/feedrelay.js`), in a scratch directory, and read its exit status, stdout and stderr.
 */

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(repoRoot, 'bin', 'feedrelay.js');

export const LOOPBACK = { FEEDRELAY_ALLOW_NETWORKS: '127.0.0.0/8' } as const;

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

export interface RunOptions {
  /** Extra environment; FEEDRELAY_ALLOW_NETWORKS and FEEDRELAY_FAULTS are unset unless given here. */
  readonly env?: Record<string, string>;
  /** Written to stdin (then closed); stdin is closed empty otherwise. */
  readonly input?: string;
  /** A command still running after this long (default 30 s) is killed, and the run fails the test. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /** Checked every 10 ms while the command runs: once it holds, the command is killed (SIGKILL, as `kill -9`). */
  readonly killWhen?: () => boolean;
}

/**
 * Runs `node bin/feedrelay.js ...args` and resolves when it exits (or is killed by `killWhen`). A command still
 * running at the time-out is killed and rejects: a run cut short by the test's patience proves nothing.
 */
export function feedrelay(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.FEEDRELAY_ALLOW_NETWORKS;
  delete env.FEEDRELAY_FAULTS;
  delete env.LOG_LEVEL;
  Object.assign(env, options.env ?? {});
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timeoutMs = options.timeoutMs ?? 30_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const { killWhen } = options;
    const watch = killWhen ? setInterval(() => killWhen() && child.kill('SIGKILL'), 10) : undefined;
    child.on('error', (error) => {
      clearTimeout(timer);
      clearInterval(watch);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      const run = { code, signal, stdout, stderr, elapsedMs: Date.now() - started };
      if (timedOut) {
        reject(new Error(`feedrelay ${args.join(' ')} still ran after ${timeoutMs} ms: ${describeRun(run)}`));
      } else resolve(run);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** What a failed expectation about a run should show: the whole run. */
export function describeRun(run: RunResult): string {
  return `exit ${run.code}${run.signal ? ` (${run.signal})` : ''} after ${run.elapsedMs} ms\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** Expects an exit status, showing the run when it differs. */
export function expectExit(run: RunResult, code: number): void {
  if (run.code !== code) throw new Error(`expected exit ${code}, got ${describeRun(run)}`);
}

/** Under --json stdout carries exactly one JSON document and nothing else. */
export function jsonOf<T = Record<string, unknown>>(run: RunResult): T {
  expect(run.stdout.trim()).not.toBe('');
  try {
    return JSON.parse(run.stdout) as T;
  } catch (error) {
    throw new Error(`stdout is not one JSON document (${(error as Error).message}):\n${describeRun(run)}`);
  }
}

/** The `{"error": {...}}` document of a failed --json run. */
export function errorOf(run: RunResult): {
  code: string;
  message: string;
  status?: number;
  retryAfterSeconds?: number;
} {
  const document = jsonOf<{ error?: { code: string; message: string; status?: number; retryAfterSeconds?: number } }>(
    run,
  );
  if (!document.error) throw new Error(`expected {"error": …} on stdout:\n${describeRun(run)}`);
  expect(typeof document.error.code).toBe('string');
  expect(typeof document.error.message).toBe('string');
  return document.error;
}

/** The non-empty lines of a text. */
export const linesOf = (text: string): string[] => text.split(/\r?\n/).filter((l) => l.trim() !== '');

/** A scratch directory, removed by `cleanup`. */
export async function scratch(prefix = 'feedrelay-cli-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh Standard Webhooks secret. */
export const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/** A loopback HTTP server driven by a handler; `stop` drops every open connection (silent routes too). */
export class LoopbackServer {
  private readonly server: http.Server;
  origin = '';

  constructor(handler: http.RequestListener) {
    this.server = http.createServer(handler);
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.origin;
  }

  url(pathname: string): string {
    return `${this.origin}${pathname}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface RecordedWebhook {
  readonly path: string;
  readonly webhookId: string;
  readonly timestamp: string;
  readonly verified: boolean;
  readonly reason?: string;
  readonly contentType: string | undefined;
  readonly body: {
    type?: string;
    feed?: { id?: string; url?: string; title?: string };
    articles?: { id: string; title?: string; link?: string }[];
  };
}

/**
 * A webhook receiver that checks the Standard Webhooks signature on its own (HMAC-SHA256 over
 * `id.timestamp.body`, keyed with the base64 part of the `whsec_` secret) and records every delivery with its
 * body, so that a test can tell which article reached which subscriber under which webhook-id.
 */
export class RecordingReceiver {
  readonly received: RecordedWebhook[] = [];
  private readonly secrets = new Map<string, string>();
  private readonly server = new LoopbackServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const pathname = request.url ?? '/';
      const raw = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const id = header('webhook-id') ?? '';
      const timestamp = header('webhook-timestamp') ?? '';
      const check = this.check(pathname, id, timestamp, header('webhook-signature') ?? '', raw);
      let body: RecordedWebhook['body'] = {};
      try {
        body = JSON.parse(raw) as RecordedWebhook['body'];
      } catch {
        body = {};
      }
      const record = () =>
        this.received.push({
          path: pathname,
          webhookId: id,
          timestamp,
          verified: check === undefined,
          ...(check ? { reason: check } : {}),
          contentType: header('content-type'),
          body,
        });
      const answer = () => {
        record();
        response.writeHead(check === undefined ? 204 : 401).end();
      };
      if (this.delayMs > 0) setTimeout(answer, this.delayMs);
      else answer();
    });
  });

  /** `delayMs`: how long each answer takes (a delivery counts as received when it is answered). */
  constructor(private readonly delayMs = 0) {}

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  endpoint(pathname: string, secret: string): string {
    this.secrets.set(pathname, secret);
    return this.server.url(pathname);
  }

  private check(pathname: string, id: string, timestamp: string, signature: string, body: string): string | undefined {
    const secret = this.secrets.get(pathname);
    if (!secret) return 'unknown path';
    if (!id || !timestamp || !signature) return 'missing webhook-id, -timestamp or -signature';
    if (!/^\d+$/.test(timestamp)) return 'webhook-timestamp is not unix seconds';
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return 'webhook-timestamp too far from now';
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
    const matches = signature.split(' ').some((candidate) => {
      const [version, mac] = candidate.split(',', 2);
      if (version !== 'v1' || !mac) return false;
      const given = Buffer.from(mac, 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    return matches ? undefined : 'no signature matches';
  }
}

/** An ISO-8601 UTC timestamp as the contract has it. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Runs many independent commands at once (at most `limit` at a time) and returns their results by name, so a
 * suite can start its processes together in `beforeAll` and let each test assert on its own result.
 */
export async function runAll<K extends string>(
  commands: Record<K, () => Promise<RunResult>>,
  limit = 3,
): Promise<Record<K, RunResult>> {
  const entries = Object.entries(commands) as [K, () => Promise<RunResult>][];
  const results = {} as Record<K, RunResult>;
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const [name, start] = entries[next++]!;
      results[name] = await start();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, entries.length) }, worker));
  return results;
}

/** A usage failure: exit 2 and a one-line message on stderr that mentions each of `mentions`. */
export function expectUsage(run: RunResult, ...mentions: (string | RegExp)[]): string {
  expectExit(run, 2);
  const lines = linesOf(run.stderr);
  if (lines.length !== 1) throw new Error(`expected one line on stderr:\n${describeRun(run)}`);
  for (const m of mentions) expect(lines[0]).toMatch(m);
  return lines[0]!;
}

export interface CrawlSummary {
  runId: string;
  feeds: number;
  fetched: number;
  notModified: number;
  failed: number;
  newArticles: number;
  notifications: { delivered: number; failed: number; pending: number };
  durationMs: number;
  awsRequests: { total: number; byOperation: Record<string, number> };
}

/** The summary as the contract shapes it: every field, the right types, the request tally adding up. */
export function expectSummaryShape(summary: CrawlSummary): void {
  expect(Object.keys(summary).sort()).toEqual(
    [
      'runId',
      'feeds',
      'fetched',
      'notModified',
      'failed',
      'newArticles',
      'notifications',
      'durationMs',
      'awsRequests',
    ].sort(),
  );
  expect(typeof summary.runId).toBe('string');
  expect(summary.runId.length).toBeGreaterThan(0);
  for (const key of ['feeds', 'fetched', 'notModified', 'failed', 'newArticles', 'durationMs'] as const) {
    expect(Number.isInteger(summary[key]) && summary[key] >= 0).toBe(true);
  }
  expect(Object.keys(summary.notifications).sort()).toEqual(['delivered', 'failed', 'pending']);
  const byOperation = Object.entries(summary.awsRequests.byOperation);
  expect(byOperation.length).toBeGreaterThan(0);
  for (const [operation, count] of byOperation) {
    expect(operation).toMatch(/^(dynamodb|sqs|eventbridge)\.[A-Z][A-Za-z]+$/);
    expect(Number.isInteger(count) && count > 0).toBe(true);
  }
  expect(summary.awsRequests.total).toBe(byOperation.reduce((sum, [, count]) => sum + count, 0));
}

/** (feed url, article id) → the webhook-ids that carried it, for one subscriber path. */
export function articlesByWebhookId(received: readonly RecordedWebhook[], pathname: string): Map<string, Set<string>> {
  const carried = new Map<string, Set<string>>();
  for (const delivery of received.filter((d) => d.path === pathname)) {
    for (const article of delivery.body.articles ?? []) {
      const key = `${delivery.body.feed?.url} ${article.id}`;
      if (!carried.has(key)) carried.set(key, new Set());
      carried.get(key)!.add(delivery.webhookId);
    }
  }
  return carried;
}
