import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { FeedFetcher, FetchRequest, FetchResult } from '../../../src/application/ports/feed-fetcher.port.js';
import { TOKENS } from '../../../src/application/tokens.js';
import { notificationIdFor } from '../../../src/domain/crawl-run.js';
import { newFeed, type Feed } from '../../../src/domain/feed.js';
import { applicationModule } from '../../../src/entrypoints/container/application.module.js';
import { compose } from '../../../src/entrypoints/container/compose.js';
import {
  createMemoryAdapters,
  memoryModule,
  type MemoryAdapters,
} from '../../../src/entrypoints/container/memory.module.js';
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
  it('fails a malformed message alone: its batch-mates are done', async () => {
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

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: notJson.messageId },
      { itemIdentifier: missingField.messageId },
      { itemIdentifier: otherType.messageId },
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
    const deliveries = subscriptions.map((s) =>
      record(
        aDeliverMessage({
          runId: 'run_1',
          notificationId: notificationIdFor(s.id, 'evt_1'),
          feedId: feed!.id,
          subscriptionId: s.id,
          attempt: 1,
        }),
      ),
    );
    const zeroAttempt = record(aDeliverMessage({ attempt: 0 }));

    // Act
    const response = await system.handlers.deliver({ Records: [deliveries[0]!, zeroAttempt, deliveries[1]!] });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: zeroAttempt.messageId }]);
    expect(system.adapters.sink.received.map((n) => n.subscription.id).sort()).toEqual(
      subscriptions.map((s) => s.id).sort(),
    );
    expect(await system.adapters.runs.deliveries('run_1')).toEqual(['delivered', 'delivered']);
  });

  it('starts the fan-out of the good events of a batch that carries a malformed envelope', async () => {
    // Prepare
    const system = new MemorySystem();
    const event = {
      type: 'ArticlesDiscovered',
      eventId: 'evt_1',
      runId: 'run_1',
      feedId: 'feed_1',
      articleIds: ['a1'],
      discoveredAt: '2026-01-01T00:00:00.000Z',
    };
    const good = record({ version: '0', 'detail-type': 'ArticlesDiscovered', detail: event });
    const noDetail = record({ version: '0', 'detail-type': 'ArticlesDiscovered' });
    const noIds = record({ version: '0', detail: { ...event, articleIds: [] } });

    // Act
    const response = await system.handlers.startFanOut({ Records: [noDetail, good, noIds] });

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: noDetail.messageId },
      { itemIdentifier: noIds.messageId },
    ]);
    expect(system.adapters.queues.bodies('scan-subscribers').map((b) => JSON.parse(b) as unknown)).toEqual([
      expect.objectContaining({ eventId: 'evt_1', feedId: 'feed_1', page: 0 }),
    ]);
  });

  it('sends a malformed message to the dead-letter list after its receives, while the rest of the crawl is exact', async () => {
    // Prepare
    const system = new MemorySystem();
    await feedsIn(system.adapters, 3);
    system.adapters.queues.send('fetch-feed', JSON.stringify({ v: 1, type: 'fetch-feed', runId: 'run_x' }));

    // Act
    const summary = await system.crawl({ maxReceiveCount: 3 });

    // Assess
    expect(summary).toMatchObject({ feeds: 3, fetched: 3, complete: true });
    expect(system.adapters.queues.deadLetters).toEqual([
      { queue: 'fetch-feed', body: JSON.stringify({ v: 1, type: 'fetch-feed', runId: 'run_x' }) },
    ]);
  });
});
