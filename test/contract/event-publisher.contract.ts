import type { EventPublisher } from '../../src/application/ports/event-publisher.port.js';
import { articlesDiscovered, type ArticlesDiscovered } from '../../src/domain/crawl-run.js';
import { parseDiscoveryEnvelope } from '../../src/entrypoints/lambda/handlers.js';
import { FAN_OUT_QUEUE, WORK_QUEUES, type QueueProbe } from './work-dispatcher.contract.js';

/** A publisher on fresh, empty queues, and the means to watch them. */
export interface EventPublisherHarness extends QueueProbe {
  readonly publisher: EventPublisher;
}

const aDiscovery = (feedId: string, articleIds: readonly string[] = ['a1', 'a2']): ArticlesDiscovered =>
  articlesDiscovered(
    'run_test',
    { id: feedId, url: `https://example.com/${feedId}.xml` },
    articleIds,
    '2026-01-01T00:01:00.000Z',
  );

const byFeed = (events: readonly ArticlesDiscovered[]): ArticlesDiscovered[] =>
  [...events].sort((a, b) => a.feedId.localeCompare(b.feedId));

/** What every event publisher must do: route each discovery, as EventBridge's rule does, to the fan-out queue. */
export function describeEventPublisherContract(name: string, makeHarness: () => Promise<EventPublisherHarness>): void {
  describe(`${name} as EventPublisher`, () => {
    it('delivers a discovery to the fan-out queue in the envelope an EventBridge rule hands its target', async () => {
      const harness = await makeHarness();
      const event = aDiscovery('feed_1', ['b2', 'a1', 'c3']);

      await harness.publisher.publish([event]);

      const bodies = await harness.received(FAN_OUT_QUEUE);
      expect(bodies.map((body) => JSON.parse(body) as unknown)).toEqual([
        {
          version: '0',
          id: expect.stringMatching(/.+/),
          'detail-type': 'ArticlesDiscovered',
          source: 'feedrelay',
          time: event.discoveredAt,
          detail: event,
        },
      ]);
      expect(bodies.map(parseDiscoveryEnvelope)).toEqual([event]);
    });

    it('sends discoveries to the fan-out queue only, never to a work queue', async () => {
      const harness = await makeHarness();

      await harness.publisher.publish([aDiscovery('feed_1'), aDiscovery('feed_2')]);

      expect(await Promise.all(WORK_QUEUES.map((queue) => harness.received(queue)))).toEqual(WORK_QUEUES.map(() => []));
      expect(await harness.received(FAN_OUT_QUEUE)).toHaveLength(2);
    });

    it('delivers all 12 discoveries of one publish, each in an envelope with an id of its own', async () => {
      const harness = await makeHarness();
      const events = Array.from({ length: 12 }, (_, i) => aDiscovery(`feed_${String(i).padStart(2, '0')}`));

      await harness.publisher.publish(events);

      const bodies = await harness.received(FAN_OUT_QUEUE);
      expect(byFeed(bodies.map(parseDiscoveryEnvelope))).toEqual(events);
      expect(new Set(bodies.map((body) => (JSON.parse(body) as { id: string }).id)).size).toBe(12);
    });

    it('publishes nothing for an empty list', async () => {
      const harness = await makeHarness();

      await harness.publisher.publish([]);

      expect(await harness.received(FAN_OUT_QUEUE)).toEqual([]);
    });
  });
}
