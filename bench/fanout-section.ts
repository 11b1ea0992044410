/**
 * Section 2: the fan-out. One feed with S webhook subscribers gains one article; the time from the start of
 * the crawl until every subscriber's endpoint holds it, against a bare loop of signed Standard Webhooks POSTs
 * at the same concurrency to the same receiver.
 */
import { randomBytes } from 'node:crypto';
import { AddFeeds } from '../src/application/use-cases/add-feeds.js';
import { Subscribe, type SubscribeInput } from '../src/application/use-cases/subscribe.js';
import { signedHeaders } from '../src/adapters/webhook/standard-webhooks.js';
import { SampleFeedServer, type SampleFeed } from '../src/entrypoints/local/sample-feeds.js';
import { WebhookReceiver } from '../src/entrypoints/local/webhook-receiver.js';
import type { CapacityUnits } from '../src/entrypoints/local/aws-request-counter.js';
import { crawlWithin, forEachLimit, openMeteredApp, perUnit, round, type QueueMeters } from './support.js';

export interface FanOutSectionOptions {
  readonly subscribers: number;
  readonly items: number;
  readonly concurrency: number;
  /** Subscribing and the crawls share this much wall time (the bare loop is not counted); past it the fan-out is cut off. */
  readonly budgetMs: number;
}

export interface FanOutSectionResult {
  readonly setup: FanOutSectionOptions & {
    readonly endpointGroups: number;
    readonly secrets: number;
    readonly feedDelayMs: 0;
    readonly subscribeMs: number;
  };
  readonly bareLoop: { readonly wallMs: number; readonly posts: number; readonly accepted: number };
  readonly app: {
    /** Subscriptions made within the budget (all of them, unless subscribing ran out of time). */
    readonly subscribed: number;
    /** From the start of the crawl until the last subscriber's endpoint accepted the article (or the cut-off). */
    readonly timeToAllMs: number;
    /** When cut off: the time to all at the rate reached so far. */
    readonly projectedTimeToAllMs?: number;
    /** Until the crawl's queues were idle. */
    readonly crawlWallMs: number;
    readonly timedOut: boolean;
    readonly delivered: number;
    readonly duplicates: number;
    readonly rejected: number;
    readonly awsRequests: { readonly total: number; readonly byOperation: Record<string, number> };
    readonly perDelivery: Record<string, number>;
    readonly awsRequestsPerDelivery: number;
    /** DynamoDB capacity units consumed, by table, as DynamoDB bills them (item sizes). */
    readonly capacityUnits: Record<string, CapacityUnits>;
    readonly invocations: QueueMeters;
  };
  /** app.timeToAllMs / bareLoop.wallMs (target ≤ 1.5). */
  readonly ratio: number;
}

/** Subscriber endpoints are spread over this many path groups and secrets (the receiver keys endpoints by path). */
const GROUPS = 100;

export async function fanOutSection(options: FanOutSectionOptions): Promise<FanOutSectionResult> {
  // The feed answers at once: the section times the fan-out, not the fetch.
  const sample: SampleFeed = { path: '/fan-out.xml', title: 'Fan-out feed', format: 'rss', items: options.items };
  const server = new SampleFeedServer([sample], 0);
  const receiver = new WebhookReceiver();
  await server.start();
  await receiver.start();
  try {
    const secrets = Array.from({ length: GROUPS }, () => `whsec_${randomBytes(24).toString('base64')}`);
    const endpoints = Array.from({ length: options.subscribers }, (_, i) => ({
      url: receiver.endpoint(`/hooks/${i % GROUPS}/${i}`, secrets[i % GROUPS]!),
      secret: secrets[i % GROUPS]!,
    }));

    const bareLoop = await barePosts(endpoints, server.url(sample), options.concurrency);
    receiver.requests.length = 0;
    receiver.rejected.length = 0;

    const metered = await openMeteredApp({ allowedNetworks: ['127.0.0.0/8'], concurrency: options.concurrency });
    try {
      const endsAt = Date.now() + options.budgetMs;
      const left = () => Math.max(1, endsAt - Date.now());
      const feedUrl = server.url(sample);
      await metered.app.container.get(AddFeeds).execute([{ url: feedUrl }]);
      const initial = await crawlWithin(metered, left());
      if (initial.timedOut) throw new Error('the fan-out feed’s first crawl did not finish in time');
      const subscribeStarted = Date.now();
      const inputs: SubscribeInput[] = endpoints.map(({ url, secret }) => ({
        feedUrl,
        sink: { kind: 'webhook', url },
        secret,
      }));
      const chunks = Array.from({ length: Math.ceil(inputs.length / 100) }, (_, i) =>
        inputs.slice(i * 100, i * 100 + 100),
      );
      const subscribe = metered.app.container.get(Subscribe);
      // Subscribing may take at most 60 % of the budget; the rest is the fan-out's.
      const subscribeBy = Date.now() + left() * 0.6;
      let subscribed = 0;
      await forEachLimit(chunks, 16, async (chunk) => {
        if (Date.now() > subscribeBy) return;
        await subscribe.execute(chunk);
        subscribed += chunk.length;
      });
      const subscribeMs = Date.now() - subscribeStarted;

      sample.items += 1;
      // The capacity the fan-out consumes is the cost section's; computing it is little beside the deliveries.
      metered.app.requests.meterCapacity(true);
      const started = Date.now();
      const crawl = await crawlWithin(metered, left(), { started });
      const firstAccepted = new Map<string, number>();
      let accepted = 0;
      for (const request of receiver.requests) {
        if (!request.verified || request.status < 200 || request.status >= 300) continue;
        accepted++;
        if (!firstAccepted.has(request.path)) firstAccepted.set(request.path, request.at);
      }
      const delivered = firstAccepted.size;
      const complete = delivered >= subscribed;
      const timeToAllMs = complete ? Math.max(...firstAccepted.values()) - started : crawl.wallMs;
      const total = crawl.awsRequests.total;
      return {
        setup: { ...options, endpointGroups: GROUPS, secrets: GROUPS, feedDelayMs: 0, subscribeMs },
        bareLoop,
        app: {
          subscribed,
          timeToAllMs,
          ...(complete || delivered === 0
            ? {}
            : { projectedTimeToAllMs: Math.round((timeToAllMs * subscribed) / delivered) }),
          crawlWallMs: crawl.wallMs,
          timedOut: crawl.timedOut,
          delivered,
          duplicates: accepted - delivered,
          rejected: receiver.rejected.length,
          awsRequests: crawl.awsRequests,
          perDelivery: perUnit(crawl.awsRequests.byOperation, delivered),
          awsRequestsPerDelivery: round(total / Math.max(1, delivered), 3),
          capacityUnits: crawl.capacityUnits,
          invocations: crawl.meters,
        },
        ratio: round(timeToAllMs / bareLoop.wallMs),
      };
    } finally {
      await metered.close();
    }
  } finally {
    await receiver.stop();
    await server.stop();
  }
}

/** What a user would write without feedrelay: one signed POST per subscriber, `concurrency` at a time. */
async function barePosts(
  endpoints: readonly { url: string; secret: string }[],
  feedUrl: string,
  concurrency: number,
): Promise<FanOutSectionResult['bareLoop']> {
  const body = JSON.stringify({
    type: 'feed.articles',
    feed: { id: 'bench', url: feedUrl, title: 'Fan-out feed' },
    articles: [
      {
        id: 'bench-article',
        url: 'http://127.0.0.1/posts/rss/1',
        title: 'Fan-out feed: post 1',
        summary: 'Post 1 of Fan-out feed.',
        publishedAt: new Date().toISOString(),
      },
    ],
  });
  let accepted = 0;
  const started = Date.now();
  await forEachLimit(endpoints, concurrency, async ({ url, secret }, index) => {
    const headers = signedHeaders(secret, `msg_bench_${index}`, Math.floor(Date.now() / 1000), body);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      await response.arrayBuffer();
      if (response.ok) accepted++;
    } catch {
      // counted as not accepted
    }
  });
  return { wallMs: Date.now() - started, posts: endpoints.length, accepted };
}
