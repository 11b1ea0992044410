import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SampleFeedServer, type SampleFeed } from '../../src/entrypoints/local/sample-feeds.js';
import {
  articlesByWebhookId,
  describeRun,
  expectExit,
  feedrelay,
  jsonOf,
  LOOPBACK,
  newSecret,
  RecordingReceiver,
  scratch,
  type CrawlSummary,
  type RunResult,
} from './support.js';

/**
 * `kill -9` of a crawl (and of serve) at several moments, then the next crawl: every article stored reaches
 * every subscriber, each under one webhook-id, although the killed process took its queues with it.
 */

const FEEDS: SampleFeed[] = Array.from({ length: 40 }, (_, i) => ({
  path: `/crash/${i}.rss`,
  title: `Crash feed ${i}`,
  format: 'rss',
  items: 5,
}));
const HOOKS = 5;
/** 40 feeds × 5 articles × 5 subscribers. */
const EXPECTED = FEEDS.length * 5 * HOOKS;

type Cli = (args: string[], options?: { killWhen?: () => boolean }) => Promise<RunResult>;

/** Runs the command until `moment` holds, then kills it with SIGKILL. */
const feedrelayUntil = (cli: Cli, args: string[], moment: () => boolean) => cli(args, { killWhen: moment });

describe('feedrelay after kill -9', () => {
  let feeds: SampleFeedServer;
  let receiver: RecordingReceiver;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await scratch('feedrelay-crash-'));
    // Slow feeds and slow receivers, so that a kill finds fetches and deliveries in flight.
    feeds = new SampleFeedServer(
      FEEDS.map((f) => ({ ...f })),
      150,
    );
    receiver = new RecordingReceiver(20);
    await Promise.all([feeds.start(), receiver.start()]);
  });

  afterAll(async () => {
    await Promise.all([feeds.stop(), receiver.stop()]);
    await cleanup();
  });

  /** A fresh data directory with the 40 feeds and 200 subscriptions, each scenario its own receiver paths. */
  async function prepared(name: string): Promise<{ cli: Cli; hooks: string[] }> {
    const dataDir = path.join(dir, name);
    const cli: Cli = (args, options = {}) =>
      feedrelay([...args, '--data-dir', dataDir], { env: { ...LOOPBACK }, timeoutMs: 110_000, ...options });
    const urls = feeds.feeds.map((f) => feeds.url(f));
    const opml = path.join(dir, `${name}.opml`);
    await writeFile(
      opml,
      `<?xml version="1.0"?>\n<opml version="2.0"><head/><body>\n${urls
        .map((url) => `<outline text="${url}" xmlUrl="${url}"/>`)
        .join('\n')}\n</body></opml>\n`,
    );
    const hooks = Array.from({ length: HOOKS }, (_, n) => `/${name}/hook${n}`);
    const jsonl = path.join(dir, `${name}.jsonl`);
    await writeFile(
      jsonl,
      hooks
        .flatMap((hook) => {
          const secret = newSecret();
          const webhook = receiver.endpoint(hook, secret);
          return urls.map((feed) => JSON.stringify({ feed, webhook, secret }));
        })
        .join('\n'),
    );
    expectExit(await cli(['feeds', 'import', opml]), 0);
    expectExit(await cli(['subscriptions', 'import', jsonl]), 0);
    return { cli, hooks };
  }

  /** How many (subscriber, article) pairs have arrived. */
  const pairsOf = (hooks: readonly string[]) =>
    hooks.reduce((sum, hook) => sum + articlesByWebhookId(receiver.received, hook).size, 0);

  /** Every (subscriber, article) pair has arrived, each under exactly one webhook-id. */
  function expectEachOnce(hooks: readonly string[]): void {
    let pairs = 0;
    for (const hook of hooks) {
      const carried = articlesByWebhookId(receiver.received, hook);
      expect([...carried.values()].filter((ids) => ids.size !== 1)).toEqual([]);
      pairs += carried.size;
    }
    expect(pairs).toBe(EXPECTED);
    expect(receiver.received.filter((d) => hooks.includes(d.path) && !d.verified)).toEqual([]);
  }

  /** How many webhooks the scenario's subscribers have received so far. */
  const deliveredTo = (hooks: readonly string[]) => receiver.received.filter((d) => hooks.includes(d.path)).length;

  it.each([
    ['while it fetches (10 feeds served)', 'fetch', 10],
    ['as its fan-out begins (first webhook)', 'deliver', 1],
    ['in the middle of its fan-out (100 webhooks)', 'deliver', 100],
  ] as const)(
    'a crawl killed %s: the next crawl delivers what it had stored, each once',
    async (_moment, kind, count) => {
      const { cli, hooks } = await prepared(`crawl-${kind}-${count}`);
      const served = feeds.requests.total;
      const reached = () => (kind === 'fetch' ? feeds.requests.total - served >= count : deliveredTo(hooks) >= count);

      const killed = await feedrelayUntil(cli, ['crawl', '--json'], reached);
      const deliveredBefore = deliveredTo(hooks);
      const next = await cli(['crawl', '--json']);

      expect(killed.signal).toBe('SIGKILL');
      expect(deliveredBefore).toBeLessThan(EXPECTED);
      expectExit(next, 0);
      expect(jsonOf<CrawlSummary>(next).notifications.pending).toBe(0);
      expectEachOnce(hooks);
      const list = await cli(['runs', 'list', '--json']);
      expectExit(list, 0);
      const { runs } = jsonOf<{ runs: { runId: string; complete: boolean }[] }>(list);
      // The killed run and the next one, both complete now.
      expect(runs).toHaveLength(2);
      expect(runs.filter((run) => !run.complete)).toEqual([]);
    },
    180_000,
  );

  it('a serve killed in the middle of its run: the next crawl delivers what it had stored, each once', async () => {
    const { cli, hooks } = await prepared('serve');

    // A schedule of every second starts a run at once; it is killed in the middle of its fan-out.
    const killed = await feedrelayUntil(
      cli,
      ['serve', '--schedule', '* * * * * *', '--port', '0'],
      () => deliveredTo(hooks) >= 50,
    );
    const next = await cli(['crawl', '--json']);

    expect(killed.signal).toBe('SIGKILL');
    expectExit(next, 0);
    if (!killed.stderr.includes('crawl run started')) throw new Error(`serve started no run: ${describeRun(killed)}`);
    expectEachOnce(hooks);
  }, 180_000);

  it('a crawl killed in the middle of its fan-out: a restarted serve delivers what it had stored, each once', async () => {
    const { cli, hooks } = await prepared('restart');

    const killed = await feedrelayUntil(cli, ['crawl', '--json'], () => deliveredTo(hooks) >= 100);
    const deliveredBefore = pairsOf(hooks);
    // A schedule that never comes within the test: what the restarted serve delivers is the resumed run's.
    const restarted = await feedrelayUntil(
      cli,
      ['serve', '--schedule', '0 0 1 1 *', '--port', '0'],
      () => pairsOf(hooks) >= EXPECTED,
    );

    expect(killed.signal).toBe('SIGKILL');
    expect(deliveredBefore).toBeLessThan(EXPECTED);
    if (pairsOf(hooks) < EXPECTED) throw new Error(`serve did not finish the run: ${describeRun(restarted)}`);
    expectEachOnce(hooks);
  }, 180_000);
});
