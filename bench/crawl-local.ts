/**
 * The crawl on the embedded stack against N local feeds that each answer after a delay: wall time and AWS
 * requests per feed by operation, first crawl (everything new) and second crawl (everything 304).
 *
 *   npm run bench -- --feeds 1000 --delay-ms 100 --concurrency 5
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { AddFeeds } from '../src/application/use-cases/add-feeds.js';
import { runCrawl, type CrawlReport } from '../src/entrypoints/cli/commands/crawl.js';
import { openLocalApp } from '../src/entrypoints/local/local-app.js';
import { SampleFeedServer, type SampleFeed } from '../src/entrypoints/local/sample-feeds.js';

const { values } = parseArgs({
  options: {
    feeds: { type: 'string', default: '1000' },
    'delay-ms': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '5' },
  },
});
const count = Number(values.feeds);
const delayMs = Number(values['delay-ms']);
const concurrency = Number(values.concurrency);

const perFeed = (report: CrawlReport) =>
  Object.fromEntries(
    Object.entries(report.awsRequests.byOperation).map(([op, n]) => [op, Math.round((n / report.feeds) * 100) / 100]),
  );

const dataDir = await mkdtemp(join(tmpdir(), 'feedrelay-bench-'));
const samples: SampleFeed[] = Array.from({ length: count }, (_, i) => ({
  path: `/feeds/${i}.xml`,
  title: `Feed ${i}`,
  format: (['rss', 'atom', 'json'] as const)[i % 3]!,
  items: 5,
}));
const server = new SampleFeedServer(samples, delayMs);
await server.start();
const app = await openLocalApp({
  dataDir,
  allowedNetworks: ['127.0.0.0/8'],
  concurrency,
  logger: pino({ level: 'warn' }),
});
try {
  await app.container.get(AddFeeds).execute(samples.map((s) => ({ url: server.url(s) })));
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const first = await runCrawl(app, { force: false });
  const second = await runCrawl(app, { force: false });
  clearInterval(sampler);
  const result = {
    setup: {
      feeds: count,
      itemsPerFeed: 5,
      serverDelayMs: delayMs,
      concurrencyPerQueue: concurrency,
      node: process.version,
    },
    first: {
      ...first,
      awsRequestsPerFeed: perFeed(first),
      feedsPerSecond: Math.round((count / first.durationMs) * 1000),
    },
    second: {
      ...second,
      awsRequestsPerFeed: perFeed(second),
      feedsPerSecond: Math.round((count / second.durationMs) * 1000),
    },
    feedServer: server.requests,
    peakRssMiB: Math.round(peakRss / 1024 / 1024),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await app.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
