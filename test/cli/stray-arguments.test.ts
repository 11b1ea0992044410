import { access } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { feedrelayInProcess } from './in-process.js';
import { expectUsage, scratch, type RunResult } from './support.js';

/**
 * Every command refuses an argument it does not take with exit 2 and one line naming it, before it opens (or
 * creates) the data directory: a stray word is a typo to point out, not something to ignore. Argument parsing
 * only: the CLI runs in this process (exit statuses of real processes: the other CLI suites).
 */
const STRAY: Record<string, string[]> = {
  demo: ['demo', 'now'],
  crawl: ['crawl', 'now'],
  serve: ['serve', 'now'],
  'feeds list': ['feeds', 'list', 'now'],
  'feeds export': ['feeds', 'export', 'now'],
  'feeds import': ['feeds', 'import', 'a.opml', 'now'],
  'subscriptions list': ['subscriptions', 'list', 'now'],
  'subscriptions import --feed': ['subscriptions', 'import', 'a.jsonl', '--feed', 'https://a.example/feed'],
  subscribe: ['subscribe', 'https://a.example/feed', 'now', '--webhook', 'https://hooks.example/in'],
  parse: ['parse', 'a.xml', 'now'],
  fetch: ['fetch', 'https://a.example/feed', 'now'],
  'runs list': ['runs', 'list', 'now'],
  'runs show': ['runs', 'show', 'run_1', 'now'],
  'runs start': ['runs', 'start', 'now'],
};

describe('stray arguments', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let results: Record<string, RunResult>;

  beforeAll(async () => {
    ({ dir, cleanup } = await scratch('feedrelay-cli-stray-'));
    results = {};
    for (const [name, args] of Object.entries(STRAY)) {
      results[name] = await feedrelayInProcess([...args, '--data-dir', path.join(dir, 'data')]);
    }
  }, 120_000);

  afterAll(() => cleanup());

  it.each(Object.keys(STRAY))('%s: exit 2 with one line naming the stray argument', (name) => {
    const line = expectUsage(results[name]!);
    expect(line).toMatch(name === 'subscriptions import --feed' ? /--feed/ : /"now"|now/);
  });

  it('touches no data directory', async () => {
    await expect(access(path.join(dir, 'data'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
