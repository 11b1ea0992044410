/**
 * The fan-out of one discovery (one new article) to N webhook subscribers on the embedded stack: AWS requests
 * per webhook delivered, by operation, and wall time next to a bare loop of signed POSTs to the same receiver
 * at a given concurrency.
 *
 *   AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node --import tsx bench/fan-out-local.ts --subscribers 20000
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { TOKENS } from '../src/application/tokens.js';
import { Subscribe } from '../src/application/use-cases/subscribe.js';
import { SummarizeRun } from '../src/application/use-cases/summarize-run.js';
import { identifyArticles } from '../src/domain/article.js';
import { articlesDiscovered, newCrawlRun } from '../src/domain/crawl-run.js';
import { feedIdFor } from '../src/domain/feed.js';
import { keepAliveAgents } from '../src/adapters/http/http-client.js';
import { signedHeaders } from '../src/adapters/webhook/standard-webhooks.js';
import { openLocalApp } from '../src/entrypoints/local/local-app.js';

export interface FanOutBenchOptions {
  readonly subscribers: number;
  /** POSTs in flight per deliver message (`deliveryConcurrency`). */
  readonly deliveryConcurrency?: number;
  /** Invocations at once per queue on the embedded runtime. */
  readonly runtimeConcurrency?: number;
  /** Subscribers per fan-out page (= recipients per deliver message). */
  readonly pageSize?: number;
  /** POSTs in flight in the bare loop; default: `deliveryConcurrency`. */
  readonly bareConcurrency?: number;
}

export interface FanOutBenchResult {
  readonly subscribers: number;
  readonly delivered: number;
  readonly awsRequests: { readonly total: number; readonly byOperation: Record<string, number> };
  readonly awsRequestsPerWebhook: number;
  readonly importMs: number;
  readonly fanOutMs: number;
  readonly bareLoopMs: number;
  readonly ratioToBareLoop: number;
}

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A webhook receiver that answers 204 to everything and counts the POSTs. */
async function startReceiver(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      count++;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** N signed POSTs of one body, `concurrency` at a time, over keep-alive connections. */
async function bareLoop(url: string, n: number, concurrency: number, body: string): Promise<number> {
  const agents = keepAliveAgents(64);
  const started = Date.now();
  let next = 0;
  const post = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const headers = signedHeaders(SECRET, `msg_${i}`, Math.floor(Date.now() / 1000), body);
      const request = http.request(
        `${url}/bare/${i}`,
        { method: 'POST', agent: agents.http, headers: { 'content-type': 'application/json', ...headers } },
        (response) => {
          response.resume();
          response.on('end', resolve);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await post(next++);
    }),
  );
  agents.http.destroy();
  return Date.now() - started;
}

export async function benchFanOut(options: FanOutBenchOptions): Promise<FanOutBenchResult> {
  const deliveryConcurrency = options.deliveryConcurrency ?? 32;
  const receiver = await startReceiver();
  const dataDir = await mkdtemp(join(tmpdir(), 'feedrelay-fanout-'));
  const app = await openLocalApp({
    dataDir,
    allowedNetworks: ['127.0.0.0/8'],
    concurrency: options.runtimeConcurrency ?? 5,
    settings: { deliveryConcurrency, subscriberPageSize: options.pageSize ?? 100 },
    logger: pino({ level: 'warn' }),
  });
  try {
    const feedUrl = `${receiver.url}/feed.xml`;
    const importStarted = Date.now();
    await app.container.get(Subscribe).execute(
      Array.from({ length: options.subscribers }, (_, i) => ({
        feedUrl,
        sink: { kind: 'webhook' as const, url: `${receiver.url}/hooks/${i}` },
        secret: SECRET,
      })),
    );
    const importMs = Date.now() - importStarted;

    const feed = (await app.container.get(TOKENS.FeedRepository).get(feedIdFor(feedUrl)))!;
    const now = new Date(Date.now() + 1000);
    const run = newCrawlRun(now, false, 'bench');
    await app.container.get(TOKENS.RunStore).begin(run, await app.container.get(TOKENS.RunStore).active());
    const stored = identifyArticles([
      { guid: 'urn:bench:1', title: 'One new article', link: `${receiver.url}/a/1` },
    ]).map((a) => ({ ...a, feedId: feed.id, firstSeenAt: now.toISOString(), firstSeenRunId: run.id }));
    const event = articlesDiscovered(
      run.id,
      feed,
      stored.map((a) => a.id),
      now.toISOString(),
    );
    await app.container.get(TOKENS.ArticleStore).putDiscovery(feed.id, event.eventId, stored);

    app.requests.reset();
    app.runtime.start();
    const started = Date.now();
    await app.container.get(TOKENS.EventPublisher).publish([event]);
    while (receiver.count() < options.subscribers) await new Promise((resolve) => setTimeout(resolve, 20));
    const fanOutMs = Date.now() - started;
    await app.runtime.waitForIdle({ timeoutMs: 600_000 });
    const awsRequests = app.requests.snapshot();
    const summary = await app.container.get(SummarizeRun).execute(run.id);

    const body = JSON.stringify({ type: 'feed.articles', feed: { id: feed.id, url: feed.url }, articles: stored });
    const bareLoopMs = await bareLoop(
      receiver.url,
      options.subscribers,
      options.bareConcurrency ?? deliveryConcurrency,
      body,
    );
    return {
      subscribers: options.subscribers,
      delivered: summary.notifications.delivered,
      awsRequests: { total: awsRequests.total, byOperation: { ...awsRequests.byOperation } },
      awsRequestsPerWebhook:
        Math.round((awsRequests.total / Math.max(1, summary.notifications.delivered)) * 1000) / 1000,
      importMs,
      fanOutMs,
      bareLoopMs,
      ratioToBareLoop: Math.round((fanOutMs / Math.max(1, bareLoopMs)) * 100) / 100,
    };
  } finally {
    await app.close();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string', default: '2000' },
      'delivery-concurrency': { type: 'string', default: '32' },
      'runtime-concurrency': { type: 'string', default: '5' },
      'page-size': { type: 'string', default: '100' },
      'bare-concurrency': { type: 'string' },
    },
  });
  const result = await benchFanOut({
    subscribers: Number(values.subscribers),
    deliveryConcurrency: Number(values['delivery-concurrency']),
    runtimeConcurrency: Number(values['runtime-concurrency']),
    pageSize: Number(values['page-size']),
    ...(values['bare-concurrency'] ? { bareConcurrency: Number(values['bare-concurrency']) } : {}),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
