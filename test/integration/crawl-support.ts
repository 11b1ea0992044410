/**
 * Helpers of the whole-crawl integration tests (`crawl-*.test.ts`): a feed server that counts requests per
 * feed and answers conditional GETs, a webhook endpoint with scripted answers that verifies every signature
 * and records which articles arrived under which webhook-id, and the local app on a temporary data dir.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { FaultSettings } from '../../src/entrypoints/local/aws-faults.js';
import type { RelaySettings } from '../../src/application/settings.js';
import type { CrawlRunSummary } from '../../src/domain/crawl-run.js';
import { SummarizeRun } from '../../src/application/use-cases/summarize-run.js';
import { openLocalApp, type LocalApp } from '../../src/entrypoints/local/local-app.js';

export const silent = pino({ level: 'silent' });

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `feedrelay-${prefix}-`));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

export function openApp(
  dataDir: string,
  options: { settings?: Partial<RelaySettings>; faults?: FaultSettings; concurrency?: number } = {},
): Promise<LocalApp> {
  return openLocalApp({ dataDir, allowedNetworks: ['127.0.0.0/8'], logger: silent, ...options });
}

const BASE_TIME = Date.parse('2026-06-01T00:00:00Z');

/** One feed of the test server; `items` may grow during a test (the feed publishes). */
export interface TestFeed {
  readonly path: string;
  items: number;
}

/**
 * A feed server that behaves well: ETag and Last-Modified on every answer, 304 to a matching If-None-Match
 * (or, without one, to an If-Modified-Since not older than the feed). Counts 200s and 304s per path.
 */
export class CountingFeedServer {
  private readonly server: http.Server;
  readonly ok = new Map<string, number>();
  readonly notModified = new Map<string, number>();
  readonly feeds = new Map<string, TestFeed>();
  /** Answer every request with a 200, as a server that ignores conditional GETs. */
  ignoreValidators = false;
  private origin = '';

  constructor(feeds: readonly TestFeed[]) {
    for (const feed of feeds) this.feeds.set(feed.path, feed);
    this.server = http.createServer((request, response) => {
      const path = request.url ?? '/';
      const feed = this.feeds.get(path);
      if (!feed) {
        response.writeHead(404).end();
        return;
      }
      const etag = this.etagOf(feed);
      const lastModified = new Date(BASE_TIME + feed.items * 60_000).toUTCString();
      const ifNoneMatch = request.headers['if-none-match'];
      const ifModifiedSince = request.headers['if-modified-since'];
      const fresh = this.ignoreValidators
        ? false
        : ifNoneMatch !== undefined
          ? ifNoneMatch === etag
          : ifModifiedSince !== undefined && Date.parse(ifModifiedSince) >= Date.parse(lastModified);
      if (fresh) {
        this.notModified.set(path, (this.notModified.get(path) ?? 0) + 1);
        response.writeHead(304, { etag, 'last-modified': lastModified }).end();
        return;
      }
      this.ok.set(path, (this.ok.get(path) ?? 0) + 1);
      response
        .writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag, 'last-modified': lastModified })
        .end(this.render(feed));
    });
    this.server.keepAliveTimeout = 1000;
  }

  etagOf(feed: TestFeed): string {
    return `"${feed.path.replace(/\W/g, '')}-${feed.items}"`;
  }

  /** The guids of the items a feed serves now. */
  guids(feed: TestFeed): string[] {
    return Array.from({ length: feed.items }, (_, i) => `${feed.path}#${i + 1}`);
  }

  private render(feed: TestFeed): string {
    const items = Array.from({ length: feed.items }, (_, i) => feed.items - i).map(
      (n) =>
        `<item><guid isPermaLink="false">${feed.path}#${n}</guid><title>Post ${n}</title>` +
        `<link>${this.origin}/posts${feed.path}/${n}</link>` +
        `<pubDate>${new Date(BASE_TIME + n * 60_000).toUTCString()}</pubDate><description>Post ${n}</description></item>`,
    );
    return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Feed ${feed.path}</title><link>${this.origin}/</link><description>test</description>
${items.join('\n')}
</channel></rss>`;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.origin;
  }

  url(feed: TestFeed | string): string {
    return `${this.origin}${typeof feed === 'string' ? feed : feed.path}`;
  }

  totals(): { ok: number; notModified: number } {
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    return { ok: sum(this.ok), notModified: sum(this.notModified) };
  }

  /** Requests (200 + 304) per path. */
  requestsOf(path: string): number {
    return (this.ok.get(path) ?? 0) + (this.notModified.get(path) ?? 0);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Webhook endpoints with scripted answers: the embedded stack's own receiver, which verifies and records. */
export {
  WebhookReceiver as ScriptedHooks,
  type ReceivedRequest as HookRequest,
} from '../../src/entrypoints/local/webhook-receiver.js';

/**
 * Waits until the run is complete with no pending notification: parked retries (delayed messages) are not work
 * for `waitForIdle`, so sleep a little, let the runtime drain what came due, and look again. A run still
 * unsettled after `timeoutMs` fails the test, with its last summary.
 */
export async function settleRun(app: LocalApp, runId: string, timeoutMs = 30_000): Promise<CrawlRunSummary> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const summary = await app.container.get(SummarizeRun).execute(runId);
    if (summary.notifications.pending === 0 && summary.complete) return summary;
    if (Date.now() > deadline) {
      throw new Error(`run ${runId} did not settle within ${timeoutMs} ms: ${JSON.stringify(summary)}`);
    }
    await sleep(500);
    await app.runtime.waitForIdle({ timeoutMs: 60_000 });
  }
}
