import { PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { pino } from 'pino';
import { NO_FAULTS, type FaultSettings } from '../../src/entrypoints/local/aws-faults.js';
import { InMemoryDeadLetters } from '../support/memory/in-memory-dead-letters.js';
import { InMemoryQueues } from '../support/memory/in-memory-queues.js';
import { SqsWorkDispatcher } from '../../src/adapters/sqs/sqs-work-dispatcher.js';
import { parseWorkMessage, type FetchFeedMessage } from '../../src/application/work-messages.js';
import type { SqsHandler } from '../../src/entrypoints/lambda/handlers.js';
import { sqsBatchHandler } from '../../src/entrypoints/lambda/sqs-batch.js';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/entrypoints/local/embedded-stack.js';
import { createLambdaRuntime, type LambdaRuntime } from '../../src/entrypoints/local/lambda-runtime.js';
import { aFetchFeedMessage, aScanFeedsMessage, feedIdOf } from '../support/mothers.js';

const MAX_RECEIVE_COUNT = 3;
const silent = pino({ level: 'silent' });

let stack: EmbeddedStack;
let dispatcher: SqsWorkDispatcher;
let runtime: LambdaRuntime | undefined;

beforeAll(async () => {
  stack = await startEmbeddedStack({ visibilityTimeoutSeconds: 1, maxReceiveCount: MAX_RECEIVE_COUNT });
  dispatcher = new SqsWorkDispatcher(stack.sqs, stack.queueUrls);
});

afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  const urls = [...Object.values(stack.queueUrls), ...Object.values(stack.deadLetterQueueUrls)];
  await Promise.all(urls.map((url) => stack.platformSqs.send(new PurgeQueueCommand({ QueueUrl: url }))));
});

afterAll(async () => {
  await stack?.stop();
});

/** A fetch-feed handler built as the real ones are, recording each feed it was handed and the receive counts. */
function recordingHandler(process: (message: FetchFeedMessage) => void = () => undefined) {
  const seen = new Map<string, number>();
  const receiveCounts = new Map<string, string[]>();
  const batch = sqsBatchHandler('fetch-feed', silent, async (body) => {
    const message = parseWorkMessage(body, 'fetch-feed') as FetchFeedMessage;
    seen.set(feedIdOf(message), (seen.get(feedIdOf(message)) ?? 0) + 1);
    process(message);
  });
  const handler: SqsHandler = async (event) => {
    for (const record of event.Records) {
      const feedId = feedIdOf(JSON.parse(record.body) as FetchFeedMessage);
      receiveCounts.set(feedId, [
        ...(receiveCounts.get(feedId) ?? []),
        record.attributes?.ApproximateReceiveCount ?? '?',
      ]);
    }
    return batch(event);
  };
  return { handler, seen, receiveCounts };
}

function start(handler: SqsHandler, faults: FaultSettings = NO_FAULTS): LambdaRuntime {
  runtime = createLambdaRuntime(stack, { fetchFeed: handler }, { faults, logger: silent }).start();
  return runtime;
}

describe('LambdaRuntime', () => {
  it('deletes the batch-mates of a failed record; only that record comes back, then goes to the dead-letter queue', async () => {
    const { handler, seen, receiveCounts } = recordingHandler((message) => {
      if (feedIdOf(message) === 'feed_bad') throw new Error('this feed always fails');
    });
    const running = start(handler);

    await dispatcher.dispatch([
      aFetchFeedMessage('feed_1'),
      aFetchFeedMessage('feed_bad'),
      aFetchFeedMessage('feed_2'),
    ]);
    await running.waitForIdle({ timeoutMs: 20_000 });

    expect(seen.get('feed_1')).toBe(1);
    expect(seen.get('feed_2')).toBe(1);
    expect(seen.get('feed_bad')).toBe(MAX_RECEIVE_COUNT);
    expect(receiveCounts.get('feed_bad')).toEqual(['1', '2', '3']);
    expect((await running.listDeadLetters()).fetchFeed).toBe(1);
    const { Messages = [] } = await stack.platformSqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.deadLetterQueueUrls.fetchFeed, MaxNumberOfMessages: 10 }),
    );
    expect(Messages.map((m) => feedIdOf(JSON.parse(m.Body!) as FetchFeedMessage))).toEqual(['feed_bad']);
    expect(running.stats()).toMatchObject({ failedRecords: MAX_RECEIVE_COUNT, deleted: 2 });
  });

  it('fails the whole batch when the handler throws', async () => {
    const recording = recordingHandler();
    let invocations = 0;
    const running = start(async (event) => {
      if (++invocations === 1) throw new Error('the function crashed while starting');
      return recording.handler(event);
    });

    await dispatcher.dispatch([aFetchFeedMessage('feed_1'), aFetchFeedMessage('feed_2')]);
    await running.waitForIdle({ timeoutMs: 20_000 });

    expect(Object.fromEntries(recording.seen)).toEqual({ feed_1: 1, feed_2: 1 });
    expect(recording.receiveCounts.get('feed_1')).toEqual(['2']);
    expect(running.stats()).toMatchObject({ threw: 1, deleted: 2 });
    expect((await running.listDeadLetters()).fetchFeed).toBe(0);
  });

  it('hands messages over twice under the duplicate fault, and each is still deleted', async () => {
    const { handler, seen } = recordingHandler();
    const running = start(handler, { ...NO_FAULTS, duplicate: 1, seed: 7 });
    const feeds = ['feed_1', 'feed_2', 'feed_3', 'feed_4', 'feed_5'];

    await dispatcher.dispatch(feeds.map((feedId) => aFetchFeedMessage(feedId)));
    await running.waitForIdle({ timeoutMs: 20_000 });

    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(feeds.map((feed) => [feed, 2])));
    expect(running.stats()).toMatchObject({ duplicated: 5, deleted: 5 });
    expect((await running.listDeadLetters()).fetchFeed).toBe(0);
  });

  it('brings back the whole batch of an invocation discarded by the crash fault', async () => {
    const { handler, seen } = recordingHandler();
    // With seed 3 the first invocation crashes and the second does not.
    const running = start(handler, { ...NO_FAULTS, crash: 0.5, seed: 3 });
    const feeds = ['feed_1', 'feed_2', 'feed_3', 'feed_4'];

    await dispatcher.dispatch(feeds.map((feedId) => aFetchFeedMessage(feedId)));
    await running.waitForIdle({ timeoutMs: 20_000 });

    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(feeds.map((feed) => [feed, 2])));
    expect(running.stats()).toMatchObject({ invocations: 2, crashed: 1, deleted: 4 });
    expect((await running.listDeadLetters()).fetchFeed).toBe(0);
  });

  it('dead-letters a batch that crashes every time, after maxReceiveCount receives', async () => {
    const { handler, seen } = recordingHandler();
    const running = start(handler, { ...NO_FAULTS, crash: 1, seed: 1 });

    await dispatcher.dispatch([aFetchFeedMessage('feed_1'), aFetchFeedMessage('feed_2')]);
    await running.waitForIdle({ timeoutMs: 20_000 });

    expect(Object.fromEntries(seen)).toEqual({ feed_1: MAX_RECEIVE_COUNT, feed_2: MAX_RECEIVE_COUNT });
    expect((await running.listDeadLetters()).fetchFeed).toBe(2);
  });

  it('keeps what a redrive policy dead-letters in the given dead letters, with a reason that says so', async () => {
    // Prepare: every invocation crashes, so no handler ever gets to park the messages itself.
    const { handler } = recordingHandler();
    const kept = new InMemoryDeadLetters(new InMemoryQueues());
    runtime = createLambdaRuntime(
      stack,
      { fetchFeed: handler },
      { faults: { ...NO_FAULTS, crash: 1, seed: 1 }, logger: silent, keepDeadLetters: kept },
    ).start();

    // Act
    await dispatcher.dispatch([aFetchFeedMessage('feed_1')]);
    await runtime.waitForIdle({ timeoutMs: 20_000 });
    await runtime.stop();

    // Assess
    const letters = await kept.list();
    expect(letters.map((letter) => [letter.queue, feedIdOf(JSON.parse(letter.body) as FetchFeedMessage)])).toEqual([
      ['fetch-feed', 'feed_1'],
    ]);
    expect(letters[0]!.reason).toMatch(/^moved by the queue's redrive policy/);
    expect((await runtime.listDeadLetters()).fetchFeed).toBe(1);
    const { Messages = [] } = await stack.platformSqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.deadLetterQueueUrls.fetchFeed, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toEqual([]);
  });

  it('runs up to `concurrency` invocations of one queue at once', async () => {
    let active = 0;
    let peak = 0;
    runtime = createLambdaRuntime(
      stack,
      {
        scanFeeds: async () => {
          peak = Math.max(peak, ++active);
          await new Promise((resolve) => setTimeout(resolve, 150));
          active--;
          return { batchItemFailures: [] };
        },
      },
      { concurrency: 3, logger: silent },
    ).start();

    // scan-feeds takes one message per batch: six messages, six invocations, at most three at a time.
    await dispatcher.dispatch(Array.from({ length: 6 }, (_, page) => aScanFeedsMessage({ runId: 'run_c', page })));
    await runtime.waitForIdle({ timeoutMs: 20_000 });

    expect(runtime.stats().invocations).toBe(6);
    expect(peak).toBe(3);
  });

  it('is idle while only delayed messages wait: they are parked for later', async () => {
    const { handler, seen } = recordingHandler();
    const running = start(handler);

    await dispatcher.dispatch([aFetchFeedMessage('feed_later')], { delaySeconds: 60 });
    const started = Date.now();
    await running.waitForIdle({ timeoutMs: 5_000 });

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(seen.size).toBe(0);
    expect(await running.idle()).toBe(true);
  });

  it('on stop, takes no new work and lets the invocation in flight finish', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let began!: () => void;
    const begun = new Promise<void>((resolve) => (began = resolve));
    const finished: string[] = [];
    const { handler, seen } = recordingHandler();
    const running = start(async (event) => {
      began();
      await gate;
      const response = await handler(event);
      finished.push(...event.Records.map((r) => r.messageId));
      return response;
    });
    await dispatcher.dispatch([aFetchFeedMessage('feed_in_flight')]);
    await begun;

    const stopping = running.stop({ graceMs: 60_000 });
    await dispatcher.dispatch([aFetchFeedMessage('feed_after_stop')]);
    release();
    const { abandoned } = await stopping;
    runtime = undefined;

    expect(abandoned).toBe(0);
    expect(finished).toHaveLength(1);
    expect([...seen.keys()]).toEqual(['feed_in_flight']);
  });

  it('on stop, waits for an invocation in flight at most graceMs and tells how many it cut off', async () => {
    let began!: () => void;
    const begun = new Promise<void>((resolve) => (began = resolve));
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const running = start(async () => {
      began();
      await stuck; // ends only when the test is over
      return { batchItemFailures: [] };
    });
    await dispatcher.dispatch([aFetchFeedMessage('feed_stuck')]);
    await begun;

    const { abandoned } = await running.stop({ graceMs: 50 });
    release();
    runtime = undefined;

    expect(abandoned).toBe(1);
  });

  it('stops its pollers promptly', async () => {
    const { handler } = recordingHandler();
    const running = start(handler);

    const started = Date.now();
    await running.stop();
    runtime = undefined;

    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
