import {
  EventBridgeClient,
  type PutEventsCommandInput,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { EventBridgeEventPublisher } from '../../../src/adapters/eventbridge/eventbridge-event-publisher.js';
import { PublishFailedError } from '../../../src/adapters/eventbridge/errors.js';
import { articlesDiscovered, type ArticlesDiscovered } from '../../../src/domain/crawl-run.js';

/**
 * An EventBridge client that never leaves the process: a bus that accepts PutEvents calls and keeps what it
 * accepted, failing the entries `fails` picks, as EventBridge reports failed entries.
 */
function fakeBus(fails: (event: ArticlesDiscovered, call: number) => boolean = () => false) {
  const calls: PutEventsCommandInput[] = [];
  const accepted: ArticlesDiscovered[] = [];
  const client = new EventBridgeClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  client.middlewareStack.add(
    () => async (args) => {
      const input = args.input as PutEventsCommandInput;
      calls.push(input);
      const entries = (input.Entries ?? []).map((entry) => {
        const event = JSON.parse(entry.Detail!) as ArticlesDiscovered;
        if (fails(event, calls.length)) return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' };
        accepted.push(event);
        return { EventId: `id-${accepted.length}` };
      });
      const output: PutEventsCommandOutput = {
        Entries: entries,
        FailedEntryCount: entries.filter((e) => 'ErrorCode' in e).length,
        $metadata: {},
      };
      return { output, response: {} } as never;
    },
    { step: 'initialize', name: 'fakeBus' },
  );
  return { client, calls, accepted };
}

const discoveries = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    articlesDiscovered(
      'run_1',
      { id: `feed_${i}`, url: `https://example.com/${i}.xml` },
      [`a${i}`],
      '2026-01-01T00:00:00.000Z',
    ),
  );

describe('EventBridgeEventPublisher', () => {
  it('publishes at most ten events a call, under the discovery rule’s source and detail-type', async () => {
    const bus = fakeBus();
    const publisher = new EventBridgeEventPublisher(bus.client, 'feedrelay-bus');
    const events = discoveries(25);

    await publisher.publish(events);

    expect(bus.calls.map((c) => c.Entries?.length)).toEqual([10, 10, 5]);
    expect(bus.accepted).toEqual(events);
    expect(bus.calls[0]!.Entries![0]).toMatchObject({
      EventBusName: 'feedrelay-bus',
      Source: 'feedrelay',
      DetailType: 'ArticlesDiscovered',
    });
  });

  it('publishes again the entries EventBridge failed', async () => {
    const bus = fakeBus((event, call) => call === 1 && event.feedId === 'feed_1');
    const publisher = new EventBridgeEventPublisher(bus.client, 'feedrelay-bus');

    await publisher.publish(discoveries(3));

    expect(bus.calls.map((c) => c.Entries?.length)).toEqual([3, 1]);
    expect(bus.accepted.map((e) => e.feedId).sort()).toEqual(['feed_0', 'feed_1', 'feed_2']);
  });

  it('names the events it could not publish after its attempts', async () => {
    const bus = fakeBus((event) => event.feedId === 'feed_2');
    const publisher = new EventBridgeEventPublisher(bus.client, 'feedrelay-bus');
    const events = discoveries(3);

    const publishing = publisher.publish(events);

    await expect(publishing).rejects.toThrow(PublishFailedError);
    await expect(publishing).rejects.toThrow(`${events[2]!.eventId} (InternalFailure: try again)`);
    expect(bus.calls).toHaveLength(3);
  });
});
