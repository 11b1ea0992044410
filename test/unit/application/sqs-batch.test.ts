import { notificationIdFor } from '../../../src/domain/crawl-run.js';
import { DeliveryTallies } from '../../../src/application/delivery-tallies.js';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { FeedFetcher, FetchRequest, FetchResult } from '../../../src/application/ports/feed-fetcher.port.js';
import { TOKENS } from '../../../src/application/tokens.js';
import { newFeed, type Feed } from '../../../src/domain/feed.js';
import { applicationModule } from '../../../src/entrypoints/container/application.module.js';
import { compose } from '../../../src/entrypoints/container/compose.js';
import { createMemoryAdapters, memoryModule, type MemoryAdapters } from '../../support/memory/memory-module.js';
import { createHandlers } from '../../../src/entrypoints/lambda/handlers.js';
import type { SqsRecord } from '../../../src/entrypoints/lambda/sqs-batch.js';
import { MemorySystem } from '../../support/memory-system.js';
import {
  aDeliverMessage,
  aDocument,
  aFetchFeedMessage,
  anItem,
  aSubscription,
  feedUrl,
} from '../../support/mothers.js';

const silent = pino({ level: 'silent' });

const record = (body: unknown): SqsRecord => ({
  messageId: randomUUID(),
  body: typeof body === 'string' ? body : JSON.stringify(body),
  attributes: { ApproximateReceiveCount: '1' },
});

async function feedsIn(adapters: MemoryAdapters, count: number): Promise<Feed[]> {
  const feeds = Array.from({ length: count }, (_, i) => newFeed(feedUrl(i), adapters.clock.now()));
  await adapters.feeds.addNew(feeds);
  feeds.forEach((feed, i) => adapters.fetcher.publish(feed.url, aDocument([anItem(i)])));
  return feeds;
}

/** A web where one address resets the connection (an unexpected error, not a fetch result) until mended. */
class BrokenAddress implements FeedFetcher {
  broken = true;
  constructor(
    private readonly web: FeedFetcher,
    private readonly url: string,
  ) {}

  async fetch(request: FetchRequest): Promise<FetchResult> {
    if (this.broken && request.url === this.url) throw new Error('socket hang up');
    return this.web.fetch(request);
  }
}

describe('sqsBatchHandler, as createHandlers uses it', () => {
  it('dead-letters a malformed message at once, with its reason: its batch-mates are done', async () => {
    // Prepare
    const system = new MemorySystem();
    const [a, b] = await feedsIn(system.adapters, 2);
    const good1 = record(aFetchFeedMessage([a!], { runId: 'run_1', batch: '0.0.1' }));
    const notJson = record('{"v":1,');
    const good2 = record(aFetchFeedMessage([b!], { runId: 'run_1', batch: '0.0.2' }));
    const missingField = record({ v: 2, type: 'fetch-feed', runId: 'run_1', force: false, batch: '0.0.9' });
    const otherType = record(aDeliverMessage());

    // Act
    const response = await system.handlers.fetchFeed({ Records: [good1, notJson, good2, missingField, otherType] });

    // Assess: nothing comes back to be retried; the three are in the dead letters, each with why.
    expect(response.batchItemFailures).toEqual([]);
    expect(await system.adapters.deadLetters.list()).toEqual([
      expect.objectContaining({
        queue: 'fetch-feed',
        messageId: notJson.messageId,
        body: notJson.body,
        reason: 'invalid_message: message body is not JSON',
      }),
      expect.objectContaining({
        messageId: missingField.messageId,
        reason: 'invalid_message: "fetch-feed" message has a missing or malformed "feeds"',
      }),
      expect.objectContaining({
        messageId: otherType.messageId,
        reason: 'invalid_message: expected a "fetch-feed" message, got "deliver"',
      }),
    ]);
    expect(system.adapters.fetcher.fetches.get(a!.url)).toBe(1);
    expect(system.adapters.fetcher.fetches.get(b!.url)).toBe(1);
    expect(system.adapters.articles.all()).toHaveLength(2);
    expect(await system.adapters.ledger.completed('fetch#run_1.0#')).toHaveLength(2);
  });

  it('reports no failures for a batch that went through', async () => {
    // Prepare
    const system = new MemorySystem();
    const feeds = await feedsIn(system.adapters, 3);

    // Act
    const response = await system.handlers.fetchFeed({
      Records: feeds.map((f, i) => record(aFetchFeedMessage([f], { runId: 'run_1', batch: `0.1.${i}` }))),
    });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(system.adapters.fetcher.fetches.size).toBe(3);
  });

  it('fails a message whose work threw alone, and let its redelivery succeed', async () => {
    // Prepare
    const adapters = createMemoryAdapters();
    const [a, b] = await feedsIn(adapters, 2);
    const web = new BrokenAddress(adapters.fetcher, b!.url);
    const container = compose(applicationModule(), memoryModule(adapters));
    container.rebind(TOKENS.FeedFetcher).toConstantValue(web);
    const handlers = createHandlers(container, silent);
    const forA = record(aFetchFeedMessage([a!], { runId: 'run_1', batch: '0.0.4' }));
    const forB = record(aFetchFeedMessage([b!], { runId: 'run_1', batch: '0.0.5' }));

    // Act
    const first = await handlers.fetchFeed({ Records: [forA, forB] });
    web.broken = false;
    const redelivery = await handlers.fetchFeed({ Records: [forB] });

    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: forB.messageId }]);
    expect(redelivery.batchItemFailures).toEqual([]);
    expect(await adapters.ledger.completed('fetch#run_1.0#')).toEqual([
      expect.objectContaining({ feeds: 1, fetched: 1, newArticles: 1 }),
      expect.objectContaining({ feeds: 1, fetched: 1, newArticles: 1 }),
    ]);
    expect(adapters.articles.all()).toHaveLength(2);
  });

  it('delivers the good notifications of a batch that carries a malformed one', async () => {
    // Prepare
    const system = new MemorySystem();
    const [feed] = await feedsIn(system.adapters, 1);
    const subscriptions = [];
    for (let n = 0; n < 2; n++)
      subscriptions.push(await system.adapters.subscriptions.add(aSubscription(feed!.url, n)));
    const deliveries = subscriptions.map((s, n) =>
      record(
        aDeliverMessage({
          runId: 'run_1',
          eventId: 'evt_1',
          feed: { id: feed!.id, url: feed!.url },
          batch: `0.${n}`,
          recipients: [{ subscriptionId: s.id, sink: s.sink, secret: s.secret, createdAt: s.createdAt }],
          attempt: 1,
        }),
      ),
    );
    const zeroAttempt = record(aDeliverMessage({ attempt: 0 }));

    // Act
    const response = await system.handlers.deliver({ Records: [deliveries[0]!, zeroAttempt, deliveries[1]!] });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await system.adapters.deadLetters.list('deliver')).toEqual([
      expect.objectContaining({
        messageId: zeroAttempt.messageId,
        reason: 'invalid_message: "deliver" message has a missing or malformed "attempt"',
      }),
    ]);
    expect(system.adapters.sink.received.map((n) => n.subscription.id).sort()).toEqual(
      subscriptions.map((s) => s.id).sort(),
    );
    expect((await system.container.get(DeliveryTallies).of('run_1')).delivered).toBe(2);
  });

  it('starts the fan-out of the good events of a batch that carries a malformed envelope', async () => {
    // Prepare
    const system = new MemorySystem();
    const subscription = await system.adapters.subscriptions.add(aSubscription(feedUrl(1), 1));
    const event = {
      type: 'ArticlesDiscovered',
      eventId: 'evt_1',
      runId: 'run_1',
      feedId: subscription.feedId,
      feedUrl: feedUrl(1),
      subscriberShards: 1,
      articleIds: ['a1'],
      discoveredAt: '2026-01-01T00:00:00.000Z',
    };
    const good = record({ version: '0', 'detail-type': 'ArticlesDiscovered', detail: event });
    const noDetail = record({ version: '0', 'detail-type': 'ArticlesDiscovered' });
    const noIds = record({ version: '0', detail: { ...event, articleIds: [] } });

    // Act
    const response = await system.handlers.startFanOut({ Records: [noDetail, good, noIds] });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect((await system.adapters.deadLetters.list('start-fan-out')).map((d) => d.messageId)).toEqual([
      noDetail.messageId,
      noIds.messageId,
    ]);
    // Its lone subscriber makes a lone part, which the fan-out's first page delivers itself.
    expect(system.adapters.queues.bodies('deliver')).toEqual([]);
    expect(system.adapters.sink.received.map((n) => [n.subscription.id, n.id])).toEqual([
      [subscription.id, notificationIdFor(subscription.id, 'evt_1')],
    ]);
  });

  it('dead-letters a malformed message on its first receive, while the rest of the crawl is exact', async () => {
    // Prepare
    const system = new MemorySystem();
    await feedsIn(system.adapters, 3);
    const body = JSON.stringify({ v: 1, type: 'fetch-feed', runId: 'run_x' });
    system.adapters.queues.send('fetch-feed', body);

    // Act
    const summary = await system.crawl({ maxReceiveCount: 3 });

    // Assess
    expect(summary).toMatchObject({ feeds: 3, fetched: 3, complete: true });
    expect(system.adapters.queues.deadLetters).toEqual([]);
    expect(await system.adapters.deadLetters.list()).toEqual([
      expect.objectContaining({
        queue: 'fetch-feed',
        body,
        reason: 'invalid_message: unsupported message version 1 for "fetch-feed"',
      }),
    ]);
  });
});
