import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { DeadLetterListing } from '../../src/application/use-cases/dead-letter-reports.js';
import { localDeadLetters } from '../../src/entrypoints/local/dead-letter-file.js';
import { openLocalApp } from '../../src/entrypoints/local/local-app.js';
import { aScanFeedsMessage } from '../support/mothers.js';
import { expectExit, expectUsage, feedrelay, ISO_UTC, jsonOf, linesOf, scratch } from './support.js';

/**
 * `dlq list` and `dlq redrive` on a data directory whose embedded stack dead-lettered poison messages: the
 * letters outlive the process that parked them, a fresh process lists them, and a redrive puts them back
 * and works them (a fixed one succeeds; one still broken is dead-lettered again).
 */

const NOT_JSON = '{"v":2,"type":"fetch-feed"';
const UNKNOWN_VERSION = JSON.stringify({ v: 7, type: 'deliver', runId: 'run_old' });

describe('feedrelay dlq', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await scratch('feedrelay-dlq-'));
    // A process whose queues receive two poison messages, then ends.
    const app = await openLocalApp({ dataDir: dir, allowedNetworks: [], logger: pino({ level: 'silent' }) });
    try {
      await app.stack.sqs.send(
        new SendMessageCommand({ QueueUrl: app.stack.queueUrls.fetchFeed, MessageBody: NOT_JSON }),
      );
      await app.stack.sqs.send(
        new SendMessageCommand({ QueueUrl: app.stack.queueUrls.deliver, MessageBody: UNKNOWN_VERSION }),
      );
      app.runtime.start();
      await app.runtime.waitForIdle({ timeoutMs: 30_000 });
    } finally {
      await app.close();
    }
  }, 60_000);

  afterAll(async () => {
    await cleanup?.();
  });

  it('lists the dead letters of a finished process by queue, with reason, message id, first-seen time and preview', async () => {
    // Act
    const run = await feedrelay(['dlq', 'list', '--json', '--data-dir', dir]);

    // Assess
    expectExit(run, 0);
    const listing = jsonOf<DeadLetterListing>(run);
    expect(listing.total).toBe(2);
    expect(listing.queues.map((q) => [q.queue, q.count])).toEqual([
      ['scan-feeds', 0],
      ['fetch-feed', 1],
      ['start-fan-out', 0],
      ['scan-subscribers', 0],
      ['deliver', 1],
    ]);
    const [fetch] = listing.queues.find((q) => q.queue === 'fetch-feed')!.deadLetters;
    expect(Object.keys(fetch!).sort()).toEqual(['bytes', 'firstSeenAt', 'messageId', 'preview', 'reason']);
    expect(fetch).toMatchObject({
      reason: 'invalid_message: message body is not JSON',
      preview: NOT_JSON,
      bytes: NOT_JSON.length,
    });
    expect(fetch!.firstSeenAt).toMatch(ISO_UTC);
    expect(fetch!.messageId).not.toBe('');
    expect(listing.queues.find((q) => q.queue === 'deliver')!.deadLetters[0]!.reason).toBe(
      'invalid_message: unsupported message version 7 for "deliver"',
    );
  });

  it('lists one queue in text, a line per letter and its preview', async () => {
    // Act
    const run = await feedrelay(['dlq', 'list', '--queue', 'deliver', '--data-dir', dir]);

    // Assess
    expectExit(run, 0);
    const lines = linesOf(run.stdout);
    expect(lines[0]).toBe('deliver: 1 dead letter(s)');
    expect(lines[1]).toMatch(/first seen .* invalid_message: unsupported message version 7 for "deliver"$/);
    expect(lines[2]!.trim()).toBe(UNKNOWN_VERSION);
    expect(lines.at(-1)).toBe('1 dead letter(s)');
  });

  it('refuses a queue it does not have, naming the ones it has', async () => {
    const run = await feedrelay(['dlq', 'list', '--queue', 'fetch', '--data-dir', dir]);
    expectUsage(run, /--queue must be one of scan-feeds, fetch-feed, start-fan-out, scan-subscribers, deliver/);
  });

  it('is in the help', async () => {
    const run = await feedrelay(['help']);
    expectExit(run, 0);
    expect(run.stdout).toContain('feedrelay dlq list [--queue NAME] [--json] | redrive [--queue NAME] [--json]');
  });

  it('refuses an action it does not know', async () => {
    const run = await feedrelay(['dlq', 'purge', '--data-dir', dir]);
    expectUsage(run, /dlq: unknown action "purge"/);
  });

  it('redrives one queue: a message that still cannot succeed is dead-lettered again, the others stay', async () => {
    // Act
    const run = await feedrelay(['dlq', 'redrive', '--queue', 'deliver', '--json', '--data-dir', dir]);
    const after = jsonOf<DeadLetterListing>(await feedrelay(['dlq', 'list', '--json', '--data-dir', dir]));

    // Assess
    expectExit(run, 0);
    expect(jsonOf(run)).toEqual({ redriven: { deliver: 1 }, total: 1 });
    expect(after.total).toBe(2);
    const deliver = after.queues.find((q) => q.queue === 'deliver')!.deadLetters;
    expect(deliver.map((d) => d.preview)).toEqual([UNKNOWN_VERSION]);
  }, 60_000);

  it('redrives a message that succeeds now: it is processed and its dead letter is gone', async () => {
    // Prepare: a scan message that was dead-lettered while the cause (now fixed) lasted.
    await localDeadLetters(dir).park({
      queue: 'scan-feeds',
      messageId: 'fixed-1',
      body: JSON.stringify(aScanFeedsMessage({ runId: 'run_fixed' })),
      reason: 'failed 5 times, last: connect ECONNREFUSED',
      firstSeenAt: '2026-01-01T00:00:00.000Z',
    });

    // Act
    const run = await feedrelay(['dlq', 'redrive', '--queue', 'scan-feeds', '--json', '--data-dir', dir]);
    const after = jsonOf<DeadLetterListing>(await feedrelay(['dlq', 'list', '--json', '--data-dir', dir]));

    // Assess
    expectExit(run, 0);
    expect(jsonOf(run)).toEqual({ redriven: { 'scan-feeds': 1 }, total: 1 });
    expect(after.queues.find((q) => q.queue === 'scan-feeds')!.count).toBe(0);
    expect(after.total).toBe(2);
  }, 60_000);

  it('says there is nothing to redrive on an empty data directory', async () => {
    // Prepare
    const empty = await scratch('feedrelay-dlq-empty-');

    // Act
    const run = await feedrelay(['dlq', 'redrive', '--data-dir', empty.dir]);
    await empty.cleanup();

    // Assess
    expectExit(run, 0);
    expect(run.stdout.trim()).toBe('nothing to redrive');
  }, 60_000);
});
