/**
 * Section 1: the crawl. N feeds of M items, each answering after a delay, crawled by `runCrawl` on the
 * embedded stack and by the bare loop a user would write (fetch + rss-parser at the same concurrency); then
 * the same feeds all unchanged (304), then a mix with 5 % of the feeds gaining 5 articles (the cost mix).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import Parser from 'rss-parser';
import { TABLES } from '../src/adapters/aws-resources.js';
import { createFeedParser } from '../src/adapters/parsing/sniffing-feed-parser.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from '../src/adapters/dynamodb/tokens.js';
import { TOKENS } from '../src/application/tokens.js';
import { identifyArticles } from '../src/domain/article.js';
import { MIN_RECENT_CAPACITY, RECENT_KEY_LENGTH } from '../src/domain/recent-articles.js';
import { AddFeeds } from '../src/application/use-cases/add-feeds.js';
import { ListFeeds } from '../src/application/use-cases/list-feeds.js';
import { Subscribe, type SubscribeInput } from '../src/application/use-cases/subscribe.js';
import { SampleFeedServer, type SampleFeed } from '../src/entrypoints/local/sample-feeds.js';
import { WebhookReceiver } from '../src/entrypoints/local/webhook-receiver.js';
import {
  capacityByTable,
  crawlWithin,
  forEachLimit,
  openMeteredApp,
  perUnit,
  round,
  type BoundedCrawl,
  type MeteredApp,
  type QueueMeters,
} from './support.js';
import type { CapacityUnits } from '../src/entrypoints/local/aws-request-counter.js';

export interface CrawlSectionOptions {
  readonly feeds: number;
  readonly items: number;
  readonly delayMs: number;
  readonly concurrency: number;
  /** The section's crawls (not the bare loop) share this much wall time; a crawl past it is cut off. */
  readonly budgetMs: number;
}

/** One crawl of the app, as measured. */
export interface MeasuredCrawl {
  readonly wallMs: number;
  readonly timedOut: boolean;
  readonly feeds: number;
  readonly fetched: number;
  readonly notModified: number;
  readonly failed: number;
  readonly newArticles: number;
  readonly awsRequests: { readonly total: number; readonly byOperation: Record<string, number> };
  /** AWS requests per feed of the table, by operation. */
  readonly perFeed: Record<string, number>;
  /** DynamoDB capacity units consumed, by table, as DynamoDB bills them (item sizes). */
  readonly capacityUnits: Record<string, CapacityUnits>;
  /** SQS sends as SQS bills them (a request per 64 KB of payload). */
  readonly sqsBilledSends: number;
  /** Events as EventBridge bills them (an event per 64 KB of each entry). */
  readonly billedEvents: number;
  readonly invocations: QueueMeters;
  /** Feeds whose last fetch failed after this crawl, by error code (only read when some failed). */
  readonly failures?: Record<string, number>;
}

export interface CrawlSectionResult {
  readonly setup: CrawlSectionOptions & { readonly formats: string };
  readonly bareLoop: {
    readonly wallMs: number;
    readonly feeds: number;
    readonly items: number;
    readonly failed: number;
  };
  readonly first: MeasuredCrawl;
  /** first.wallMs / bareLoop.wallMs (target ≤ 1.5). */
  readonly ratio: number;
  /** Forced, untimed crawls run after a first crawl with failures, until none failed (at most 1, and only when at most 20 % failed). */
  readonly settleCrawls?: number;
  /** Feeds whose fetch still failed in the last settling crawl. */
  readonly stillFailing?: number;
  readonly unchanged?: MeasuredCrawl;
  /** 5 % of the feeds gained 5 articles each and are followed by 100 webhooks each; the rest answered 304. */
  readonly mix?: MeasuredCrawl & {
    readonly changedFeeds: number;
    readonly newArticlesPerChangedFeed: number;
    readonly subscribersPerChangedFeed: number;
    /** Webhook requests accepted during the mix crawl (its fan-outs). */
    readonly delivered: number;
  };
  readonly feedServer: { readonly total: number; readonly notModified: number };
  /** Before the 304 and mix crawls, every feed's recent-article set was filled to capacity (steady state). */
  readonly agedFeeds?: number;
  /** What discoveries of real-world articles cost to store (the cost model's article write units). */
  readonly realArticles?: RealArticles;
}

/** Discoveries of `perDiscovery` articles from the real-world feeds in the test corpus, stored by the app. */
export interface RealArticles {
  readonly source: string;
  readonly articles: number;
  readonly perDiscovery: number;
  readonly discoveries: number;
  /** Mean JSON size of an article as stored. */
  readonly meanArticleBytes: number;
  /** Write units per discovery, as DynamoDB bills the items the article store wrote. */
  readonly writeUnitsPerDiscovery: number;
}

const MAX_SETTLE_CRAWLS = 1;

/** Share of feeds that change in the cost mix, the articles each gains, and the webhooks each is followed by. */
export const MIX = { changedShare: 0.05, newArticles: 5, subscribers: 100 } as const;

export async function crawlSection(options: CrawlSectionOptions): Promise<CrawlSectionResult> {
  // RSS and Atom alternate: both are what rss-parser reads, so the bare loop parses every feed the app does.
  const samples: SampleFeed[] = Array.from({ length: options.feeds }, (_, i) => ({
    path: `/feeds/${i}.xml`,
    title: `Feed ${i}`,
    format: i % 2 === 0 ? 'rss' : 'atom',
    items: options.items,
  }));
  const server = new SampleFeedServer(samples, options.delayMs);
  await server.start();
  try {
    const bareLoop = await bareCrawl(
      samples.map((s) => server.url(s)),
      options.concurrency,
    );
    const metered = await openMeteredApp({ allowedNetworks: ['127.0.0.0/8'], concurrency: options.concurrency });
    try {
      const endsAt = Date.now() + options.budgetMs;
      const left = () => Math.max(1, endsAt - Date.now());
      await metered.app.container.get(AddFeeds).execute(samples.map((s) => ({ url: server.url(s) })));
      const crawled = measured(await crawlWithin(metered, left()), options.feeds);
      const first =
        !crawled.timedOut && crawled.failed > 0
          ? { ...crawled, failures: await failuresByCode(metered.app.container.get(ListFeeds)) }
          : crawled;
      let result: CrawlSectionResult = {
        setup: { ...options, formats: 'RSS 2.0 and Atom, alternating' },
        bareLoop,
        first,
        ratio: round(first.wallMs / bareLoop.wallMs),
        feedServer: { ...server.requests },
      };
      if (first.timedOut) return result;
      // Feeds whose first fetch failed have no validators (and back off): crawl them again, forced and untimed,
      // so that the next crawl finds every feed unchanged. Not when most failed: that is overload, which a
      // forced crawl of every feed only repeats; the 304 crawl then counts the feeds it finds (and says so).
      let settleCrawls = 0;
      let stillFailing = first.failed;
      while (stillFailing > 0 && stillFailing <= options.feeds * 0.2 && settleCrawls < MAX_SETTLE_CRAWLS) {
        const settle = await crawlWithin(metered, left(), { force: true });
        settleCrawls++;
        if (settle.timedOut) return { ...result, settleCrawls, stillFailing };
        stillFailing = settle.report!.failed;
      }
      // From here on DynamoDB reports the capacity each request consumes (the cost section's units); not in the
      // timed first crawl, where computing item sizes would be the embedded DynamoDB's extra work.
      metered.app.requests.meterCapacity(true);
      const agedFeeds = await ageFeeds(metered.app);
      result = { ...result, settleCrawls, stillFailing, agedFeeds };
      const unchanged = measured(await crawlWithin(metered, left()), options.feeds);
      if (unchanged.timedOut) return { ...result, unchanged };
      const changing = samples.filter((_, i) => i % Math.round(1 / MIX.changedShare) === 0);
      const receiver = new WebhookReceiver();
      await receiver.start();
      let mix: NonNullable<CrawlSectionResult['mix']>;
      try {
        await subscribeWebhooks(
          metered.app,
          receiver,
          changing.map((sample) => server.url(sample)),
          MIX.subscribers,
        );
        for (const sample of changing) sample.items += MIX.newArticles;
        const crawled = await crawlWithin(metered, left());
        mix = {
          ...measured(crawled, options.feeds),
          changedFeeds: changing.length,
          newArticlesPerChangedFeed: MIX.newArticles,
          subscribersPerChangedFeed: MIX.subscribers,
          delivered: receiver.requests.filter((r) => r.verified && r.status >= 200 && r.status < 300).length,
        };
      } finally {
        await receiver.stop();
      }
      const realArticles = await storeRealArticles(metered.app, MIX.newArticles);
      return { ...result, unchanged, mix, realArticles, feedServer: { ...server.requests } };
    } finally {
      await metered.close();
    }
  } finally {
    await server.stop();
  }
}

function measured(crawl: BoundedCrawl, feeds: number): MeasuredCrawl {
  const report = crawl.report;
  return {
    wallMs: crawl.wallMs,
    timedOut: crawl.timedOut,
    feeds: report?.feeds ?? feeds,
    fetched: report?.fetched ?? 0,
    notModified: report?.notModified ?? 0,
    failed: report?.failed ?? 0,
    newArticles: report?.newArticles ?? 0,
    awsRequests: crawl.awsRequests,
    perFeed: perUnit(crawl.awsRequests.byOperation, report?.feeds ?? feeds),
    capacityUnits: crawl.capacityUnits,
    sqsBilledSends: crawl.sqsBilledSends,
    billedEvents: crawl.billedEvents,
    invocations: crawl.meters,
  };
}

/** The error codes of the feeds whose last fetch failed. */
async function failuresByCode(feeds: ListFeeds): Promise<Record<string, number>> {
  const codes: Record<string, number> = {};
  for await (const feed of feeds.execute(1000)) {
    if (feed.errorCount > 0 && feed.lastError) codes[feed.lastError.code] = (codes[feed.lastError.code] ?? 0) + 1;
  }
  return codes;
}

/** What a user would write without feedrelay: for each URL, fetch and parse, 32 at a time. */
async function bareCrawl(urls: readonly string[], concurrency: number): Promise<CrawlSectionResult['bareLoop']> {
  const parser = new Parser();
  let items = 0;
  let failed = 0;
  const started = Date.now();
  await forEachLimit(urls, concurrency, async (url) => {
    try {
      const response = await fetch(url);
      const feed = await parser.parseString(await response.text());
      items += feed.items.length;
    } catch {
      failed++;
    }
  });
  return { wallMs: Date.now() - started, feeds: urls.length, items, failed };
}

/**
 * Brings every feed to the size a feed has after months of publishing: its recent-article set (which the
 * fetch compares documents against) filled to capacity with keys of articles it no longer lists. The sample
 * feeds are only a crawl old; without this the 304 and mix crawls would read and write items smaller than
 * a real table's. Returns the number of feeds aged.
 */
async function ageFeeds(app: MeteredApp['app']): Promise<number> {
  const doc = app.container.get(DYNAMODB_DOCUMENT_CLIENT);
  const table = app.container.get(DYNAMODB_TABLE_NAMES).feeds;
  let aged = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      // Stored as binary (6 bytes a key), or as a hex string.
      const stored = item['seen'];
      const seen = stored instanceof Uint8Array ? Buffer.from(stored).toString('hex') : String(stored ?? '');
      const missing = MIN_RECENT_CAPACITY - seen.length / RECENT_KEY_LENGTH;
      if (missing <= 0) continue;
      const older = randomBytes((missing * RECENT_KEY_LENGTH) / 2).toString('hex');
      await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { [TABLES.feeds.partitionKey]: item[TABLES.feeds.partitionKey] },
          UpdateExpression: 'SET seen = :seen',
          ExpressionAttributeValues: { ':seen': Buffer.from(seen + older, 'hex') },
        }),
      );
      aged++;
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return aged;
}

const REAL_FEEDS = new URL('../test/fixtures/corpus/real-feeds/', import.meta.url);

/**
 * Stores the articles of the real-world feeds in the test corpus through the app's article store, in
 * discoveries of `perDiscovery`, and measures the write units DynamoDB bills for them: the sample feeds'
 * one-line articles compress far better than real ones, so the cost model prices articles from these.
 */
async function storeRealArticles(app: MeteredApp['app'], perDiscovery: number): Promise<RealArticles> {
  const parser = createFeedParser();
  const store = app.container.get(TOKENS.ArticleStore);
  const at = new Date().toISOString();
  let articles = 0;
  let bytes = 0;
  let discoveries = 0;
  app.requests.reset();
  for (const file of readdirSync(REAL_FEEDS)
    .filter((name) => name !== 'LICENSE')
    .sort()) {
    const parsed = parser.parse({ bytes: readFileSync(new URL(file, REAL_FEEDS)) });
    if (!parsed.ok) continue;
    const feedId = `real-${file}`;
    const stored = identifyArticles(parsed.feed.items).map((article) => ({
      ...article,
      feedId,
      firstSeenAt: at,
      firstSeenRunId: 'run_20261201T000000000Z_0123456789abcdef',
    }));
    for (let start = 0; start + perDiscovery <= stored.length; start += perDiscovery) {
      const part = stored.slice(start, start + perDiscovery);
      await store.putDiscovery(feedId, `evt-${start}`, part);
      articles += part.length;
      bytes += part.reduce((sum, article) => sum + Buffer.byteLength(JSON.stringify(article)), 0);
      discoveries++;
    }
  }
  const written = capacityByTable(app)['articles']?.write ?? 0;
  return {
    source: 'test/fixtures/corpus/real-feeds',
    articles,
    perDiscovery,
    discoveries,
    meanArticleBytes: Math.round(bytes / Math.max(1, articles)),
    writeUnitsPerDiscovery: round(written / Math.max(1, discoveries), 3),
  };
}

/** Follows each feed with `perFeed` webhooks at the receiver (one secret per feed). */
async function subscribeWebhooks(
  app: MeteredApp['app'],
  receiver: WebhookReceiver,
  feedUrls: readonly string[],
  perFeed: number,
): Promise<void> {
  const subscribe = app.container.get(Subscribe);
  for (const [f, feedUrl] of feedUrls.entries()) {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const inputs: SubscribeInput[] = Array.from({ length: perFeed }, (_, i) => ({
      feedUrl,
      sink: { kind: 'webhook', url: receiver.endpoint(`/mix/${f}/${i}`, secret) },
      secret,
    }));
    await subscribe.execute(inputs);
  }
}
