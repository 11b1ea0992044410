import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { DeadLetter, DeadLetters } from '../../../src/application/ports/dead-letters.port.js';
import { TOKENS } from '../../../src/application/tokens.js';
import {
  ListDeadLetters,
  PREVIEW_CHARACTERS,
  RedriveDeadLetters,
} from '../../../src/application/use-cases/dead-letter-reports.js';
import type { FeedFetcher, FetchRequest, FetchResult } from '../../../src/application/ports/feed-fetcher.port.js';
import { newFeed } from '../../../src/domain/feed.js';
import { applicationModule } from '../../../src/entrypoints/container/application.module.js';
import { compose } from '../../../src/entrypoints/container/compose.js';
import { createMemoryAdapters, memoryModule } from '../../support/memory/memory-module.js';
import { createHandlers } from '../../../src/entrypoints/lambda/handlers.js';
import { sqsBatchHandler, type SqsRecord } from '../../../src/entrypoints/lambda/sqs-batch.js';
import { InMemoryDeadLetters } from '../../support/memory/in-memory-dead-letters.js';
import { InMemoryQueues } from '../../support/memory/in-memory-queues.js';
import { MemorySystem, queueHandlersOf } from '../../support/memory-system.js';
import { aDocument, aFetchFeedMessage, anItem, feedUrl } from '../../support/mothers.js';

const ALL_QUEUES = ['scan-feeds', 'fetch-feed', 'start-fan-out', 'scan-subscribers', 'deliver'];

/** A record as the event source hands it over on its `receives`-th receive. */
const record = (id: string, body: unknown, receives = 1, sentAt?: Date): SqsRecord => ({
  messageId: id,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  attributes: {
    ApproximateReceiveCount: String(receives),
    ...(sentAt ? { SentTimestamp: String(sentAt.getTime()) } : {}),
  },
});

/** A logger whose lines the test reads. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** A web where the feed at one address cannot be reached (an unexpected error) until it is mended. */
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

/** Dead letters that cannot be written to. */
class UnwritableDeadLetters implements DeadLetters {
  async park(): Promise<void> {
    throw new Error('the dead-letter queue is not reachable');
  }
  async list(): Promise<DeadLetter[]> {
    return [];
  }
  async redrive(): Promise<DeadLetter[]> {
    return [];
  }
}

/** One feed that cannot be fetched until the test mends it: the handlers and adapters around it. */
async function aSystemWithBrokenFeed() {
  const adapters = createMemoryAdapters();
  const feed = newFeed(feedUrl(1), adapters.clock.now());
  await adapters.feeds.addNew([feed]);
  adapters.fetcher.publish(feed.url, aDocument([anItem(1)]));
  const web = new BrokenAddress(adapters.fetcher, feed.url);
  const container = compose(applicationModule(), memoryModule(adapters));
  container.rebind(TOKENS.FeedFetcher).toConstantValue(web);
  const handlers = createHandlers(container, pino({ level: 'silent' }));
  return { adapters, container, handlers, feed, web };
}

describe('dead letters, as the queue handlers park them', () => {
  it('logs one line at error level naming handler, queue, message id and reason', async () => {
    // Prepare
    const system = new MemorySystem();
    const { logger, lines } = capturedLogger();
    const handlers = createHandlers(system.container, logger);

    // Act
    await handlers.scanFeeds({ Records: [record('m-1', 'not json')] });

    // Assess
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        handler: 'scan-feeds',
        queue: 'scan-feeds',
        messageId: 'm-1',
        reason: 'invalid_message: message body is not JSON',
        msg: 'scan-feeds: message m-1 dead-lettered: invalid_message: message body is not JSON',
      }),
    ]);
  });

  it('keeps when the message was first sent', async () => {
    // Prepare
    const system = new MemorySystem();
    const sentAt = new Date('2026-03-04T05:06:07.000Z');

    // Act
    await system.handlers.deliver({ Records: [record('m-1', { v: 9, type: 'deliver' }, 1, sentAt)] });

    // Assess
    expect(await system.adapters.deadLetters.list()).toEqual([
      {
        queue: 'deliver',
        messageId: 'm-1',
        body: '{"v":9,"type":"deliver"}',
        reason: 'invalid_message: unsupported message version 9 for "deliver"',
        firstSeenAt: '2026-03-04T05:06:07.000Z',
      },
    ]);
  });

  it('lets a message whose work failed come back, until its last receive parks it with the last error', async () => {
    // Prepare
    const { adapters, handlers, feed } = await aSystemWithBrokenFeed();
    const message = aFetchFeedMessage([feed], { runId: 'run_1' });

    // Act
    const fourth = await handlers.fetchFeed({ Records: [record('m-1', message, 4)] });
    const fifth = await handlers.fetchFeed({ Records: [record('m-1', message, 5)] });

    // Assess
    expect(fourth.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(fifth.batchItemFailures).toEqual([]);
    expect(await adapters.deadLetters.list()).toEqual([
      expect.objectContaining({
        queue: 'fetch-feed',
        messageId: 'm-1',
        reason: 'failed 5 times, last: socket hang up',
      }),
    ]);
  });

  it('lets a message fail as before when it cannot be parked, so that the queue’s redrive policy takes it', async () => {
    // Prepare
    const system = new MemorySystem();
    system.container.rebind(TOKENS.DeadLetters).toConstantValue(new UnwritableDeadLetters());
    const { logger, lines } = capturedLogger();
    const handlers = createHandlers(system.container, logger);

    // Act
    const response = await handlers.fetchFeed({ Records: [record('m-1', '{')] });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        queue: 'fetch-feed',
        messageId: 'm-1',
        msg: expect.stringContaining('could not be dead-lettered (the dead-letter queue is not reachable)'),
      }),
    ]);
  });
});

describe('sqsBatchHandler with a dead-letter policy', () => {
  it('does not park a copy whose step another invocation holds, even on its last receive', async () => {
    // Prepare
    const kept = new InMemoryDeadLetters(new InMemoryQueues());
    const handler = sqsBatchHandler(
      'scan-feeds',
      pino({ level: 'silent' }),
      async () => ({ kind: 'skipped', reason: 'busy' }),
      { deadLetters: kept, maxReceiveCount: 5 },
    );

    // Act
    const response = await handler({ Records: [record('m-1', '{}', 5)] });

    // Assess: it comes back, and finds the step done or free then.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(await kept.list()).toEqual([]);
  });
});

describe('ListDeadLetters', () => {
  it('names every queue, with its dead letters oldest first, each with its reason and the start of its body', async () => {
    // Prepare
    const system = new MemorySystem();
    const long = JSON.stringify({ v: 2, type: 'deliver', padding: 'x'.repeat(300) });
    await system.handlers.deliver({ Records: [record('late', long, 1, new Date('2026-01-02T00:00:00Z'))] });
    await system.handlers.deliver({ Records: [record('early', '[]', 1, new Date('2026-01-01T00:00:00Z'))] });
    await system.handlers.fetchFeed({ Records: [record('odd', '{}', 1, new Date('2026-01-03T00:00:00Z'))] });

    // Act
    const listing = await system.container.get(ListDeadLetters).execute(ALL_QUEUES);

    // Assess
    expect(listing.total).toBe(3);
    expect(listing.queues.map((q) => [q.queue, q.count])).toEqual([
      ['scan-feeds', 0],
      ['fetch-feed', 1],
      ['start-fan-out', 0],
      ['scan-subscribers', 0],
      ['deliver', 2],
    ]);
    const deliver = listing.queues.find((q) => q.queue === 'deliver')!.deadLetters;
    expect(deliver.map((d) => d.messageId)).toEqual(['early', 'late']);
    expect(deliver[0]).toEqual({
      messageId: 'early',
      reason: 'invalid_message: message body is not a JSON object',
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      preview: '[]',
      bytes: 2,
    });
    expect(deliver[1]!.preview).toBe(`${long.slice(0, PREVIEW_CHARACTERS)}…`);
    expect(deliver[1]!.bytes).toBe(long.length);
  });

  it('lists one queue when asked for it', async () => {
    // Prepare
    const system = new MemorySystem();
    await system.handlers.deliver({ Records: [record('d', '[]')] });
    await system.handlers.fetchFeed({ Records: [record('f', '[]')] });

    // Act
    const listing = await system.container.get(ListDeadLetters).execute(ALL_QUEUES, 'fetch-feed');

    // Assess
    expect(listing).toMatchObject({ total: 1, queues: [{ queue: 'fetch-feed', count: 1 }] });
  });
});

describe('RedriveDeadLetters', () => {
  it('puts a dead letter back on its queue, where it succeeds once the cause is fixed', async () => {
    // Prepare: the fetch failed on its last receive and was parked.
    const { adapters, container, handlers, feed, web } = await aSystemWithBrokenFeed();
    await handlers.fetchFeed({ Records: [record('m-1', aFetchFeedMessage([feed], { runId: 'run_1' }), 5)] });
    web.broken = false;

    // Act
    const result = await container.get(RedriveDeadLetters).execute();
    await adapters.queues.drain(queueHandlersOf(handlers));

    // Assess
    expect(result).toEqual({ redriven: { 'fetch-feed': 1 }, total: 1 });
    expect(await adapters.deadLetters.list()).toEqual([]);
    expect(adapters.fetcher.fetches.get(feed.url)).toBe(1);
    expect(adapters.articles.all()).toHaveLength(1);
  });

  it('redrives only the queue it is given', async () => {
    // Prepare
    const system = new MemorySystem();
    await system.handlers.deliver({ Records: [record('d', '[]')] });
    await system.handlers.fetchFeed({ Records: [record('f', '[]')] });

    // Act
    const result = await system.container.get(RedriveDeadLetters).execute('deliver');

    // Assess
    expect(result).toEqual({ redriven: { deliver: 1 }, total: 1 });
    expect(system.adapters.queues.bodies('deliver')).toEqual(['[]']);
    expect((await system.adapters.deadLetters.list()).map((d) => d.messageId)).toEqual(['f']);
  });
});
