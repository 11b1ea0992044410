/**
 * Section 1: the crawl. N feeds of M items, each answering after a delay, crawled by `runCrawl` on the
 * embedded stack and by the bare loop a user would write (fetch + rss-parser at the same concurrency); then
 * the same feeds all unchanged (304), then a mix with 5 % of the feeds gaining 5 articles (the cost mix).
 */
import Parser from 'rss-parser';
import { AddFeeds } from '../src/application/use-cases/add-feeds.js';
import { ListFeeds } from '../src/application/use-cases/list-feeds.js';
import { SampleFeedServer, type SampleFeed } from '../src/entrypoints/local/sample-feeds.js';
import {
  crawlWithin,
  forEachLimit,
  openMeteredApp,
  perUnit,
  round,
  type BoundedCrawl,
  type QueueMeters,
} from './support.js';

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
  /** 5 % of the feeds gained 5 articles each; the rest answered 304. */
  readonly mix?: MeasuredCrawl & { readonly changedFeeds: number; readonly newArticlesPerChangedFeed: number };
  readonly feedServer: { readonly total: number; readonly notModified: number };
}

const MAX_SETTLE_CRAWLS = 1;

/** Share of feeds that change in the cost mix, and the articles each gains. */
export const MIX = { changedShare: 0.05, newArticles: 5 } as const;

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
      result = { ...result, settleCrawls, stillFailing };
      const unchanged = measured(await crawlWithin(metered, left()), options.feeds);
      if (unchanged.timedOut) return { ...result, unchanged };
      const changing = samples.filter((_, i) => i % Math.round(1 / MIX.changedShare) === 0);
      for (const sample of changing) sample.items += MIX.newArticles;
      const mix = {
        ...measured(await crawlWithin(metered, left()), options.feeds),
        changedFeeds: changing.length,
        newArticlesPerChangedFeed: MIX.newArticles,
      };
      return { ...result, unchanged, mix, feedServer: { ...server.requests } };
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
