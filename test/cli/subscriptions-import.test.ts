import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { feedrelayInProcess } from './in-process.js';
import { expectExit, expectUsage, jsonOf, newSecret, scratch } from './support.js';

const LINES = 3_000;
const FEEDS = 30;

/** Line i subscribes webhook i to feed i mod FEEDS; even lines give their secret, odd ones leave it to be made. */
const line = (i: number): string =>
  JSON.stringify({
    feed: `https://feeds.example.com/${i % FEEDS}.xml`,
    webhook: `https://hooks.example.net/h/${i}`,
    ...(i % 2 === 0 ? { secret: newSecret() } : {}),
  });

describe('feedrelay subscriptions import of a large file (embedded stack, one process per command)', () => {
  it('stores nothing for a bad last line, then each subscription exactly once, and nothing new on a re-import', async () => {
    const { dir, cleanup } = await scratch('feedrelay-cli-import-');
    const run = (...args: string[]) => feedrelayInProcess([...args, '--data-dir', path.join(dir, 'data')]);
    const listed = async () => {
      const list = await run('subscriptions', 'list', '--json');
      expectExit(list, 0);
      return jsonOf<{ subscriptions: { id: string; feed: string; webhook: string }[] }>(list).subscriptions;
    };
    try {
      const good = Array.from({ length: LINES }, (_, i) => line(i));
      // Ten lines again, later in the file: the same subscriptions, counted as already present.
      const repeated = good.slice(0, 10);
      const bad = path.join(dir, 'bad.jsonl');
      await writeFile(
        bad,
        [...good, '{"feed": "https://feeds.example.com/x.xml", "webhook": "ftp://nope"}'].join('\n'),
      );
      const file = path.join(dir, 'subscriptions.jsonl');
      await writeFile(file, [...good, ...repeated].join('\n') + '\n');

      expectUsage(await run('subscriptions', 'import', bad, '--json'), bad, new RegExp(`line ${LINES + 1}\\b`));
      expect(await listed()).toEqual([]);
      const feeds = await run('feeds', 'list', '--json');
      expect(jsonOf<{ feeds: unknown[] }>(feeds).feeds).toEqual([]);

      const imported = await run('subscriptions', 'import', file, '--json');
      expectExit(imported, 0);
      const report = jsonOf<{
        imported: number;
        existing: number;
        total: number;
        secrets: { line: number; feed: string; webhook: string; secret: string }[];
      }>(imported);
      expect({ ...report, secrets: undefined }).toEqual({ imported: LINES, existing: 10, total: LINES + 10 });
      // The odd lines' generated secrets, shown once each, under the last line naming the subscription.
      expect(report.secrets).toHaveLength(LINES / 2);
      expect(report.secrets.every((s) => /^whsec_[A-Za-z0-9+/]+=*$/.test(s.secret))).toBe(true);
      expect(new Set(report.secrets.map((s) => s.webhook))).toEqual(
        new Set(Array.from({ length: LINES / 2 }, (_, k) => `https://hooks.example.net/h/${2 * k + 1}`)),
      );
      const lineOf = new Map(report.secrets.map((s) => [s.webhook, s.line]));
      expect(lineOf.get('https://hooks.example.net/h/1')).toBe(LINES + 2);
      expect(lineOf.get('https://hooks.example.net/h/11')).toBe(12);
      const stored = await listed();
      expect(stored).toHaveLength(LINES);
      expect(new Set(stored.map((s) => s.id)).size).toBe(LINES);
      expect(new Set(stored.map((s) => `${s.feed} ${s.webhook}`)).size).toBe(LINES);
      expect(new Set(stored.map((s) => s.feed)).size).toBe(FEEDS);

      const again = await run('subscriptions', 'import', file, '--json');
      expectExit(again, 0);
      expect(jsonOf(again)).toEqual({ imported: 0, existing: LINES + 10, total: LINES + 10 });
      expect(again.stdout).not.toContain('whsec_');
      const after = await listed();
      expect(after).toHaveLength(LINES);
      expect(after).toEqual(stored);
    } finally {
      await cleanup();
    }
  }, 180_000);
});
