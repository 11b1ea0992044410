import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { feedrelayInProcess } from './in-process.js';
import { errorOf, expectExit, expectUsage, jsonOf, newSecret, scratch } from './support.js';

/**
 * `subscribe --sqs`, JSONL lines with "sqs", `subscriptions rotate-secret`, and what the data directory keeps
 * of a secret (sealed, never plain). Each command opens and closes the embedded stack on one --data-dir, in this
 * process (the CLI as a process: the other CLI suites).
 */

const SLOW = 120_000;
const FEED = 'https://feed.example/a.xml';
const HOOK = 'https://hooks.example/in';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/articles';

interface Shown {
  subscription: { id: string; feed: string; webhook?: string; sqs?: string; secret?: string; status: string };
  created: boolean;
}

describe('feedrelay secrets and sinks', () => {
  it.concurrent(
    'subscribes a queue with --sqs or a JSONL "sqs" line, and lists it; a queue takes no secret',
    async () => {
      const { dir, cleanup } = await scratch('feedrelay-cli-sinks-');
      const run = (...args: string[]) => feedrelayInProcess([...args, '--data-dir', path.join(dir, 'data')]);
      try {
        const subscribed = await run('subscribe', FEED, '--sqs', QUEUE, '--json');
        expectExit(subscribed, 0);
        expect(jsonOf<Shown>(subscribed)).toMatchObject({ subscription: { feed: FEED, sqs: QUEUE }, created: true });
        expect(jsonOf<Shown>(subscribed).subscription).not.toHaveProperty('secret');

        const file = path.join(dir, 'subs.jsonl');
        await writeFile(
          file,
          [
            JSON.stringify({ feed: 'https://feed.example/b.xml', sqs: `${QUEUE}-b` }),
            JSON.stringify({ feed: 'https://feed.example/b.xml', webhook: HOOK, secret: newSecret() }),
          ].join('\n'),
        );
        expectExit(await run('subscriptions', 'import', file), 0);
        const list = await run('subscriptions', 'list', '--json');
        expectExit(list, 0);
        const sinks = jsonOf<{ subscriptions: { sqs?: string; webhook?: string }[] }>(list).subscriptions.map(
          (s) => s.sqs ?? s.webhook,
        );
        expect(sinks.sort()).toEqual([HOOK, QUEUE, `${QUEUE}-b`].sort());

        expectUsage(
          await run('subscribe', FEED, '--sqs', QUEUE, '--secret', newSecret()),
          '--secret signs webhooks only',
        );
        expectUsage(await run('subscribe', FEED, '--sqs', QUEUE, '--webhook', HOOK), 'one of --webhook and --sqs');
        expectUsage(
          await run('subscribe', FEED, '--sqs', 'https://sqs.eu-west-1.amazonaws.com/no-account'),
          'SQS queue URL',
        );
        const both = path.join(dir, 'both.jsonl');
        await writeFile(both, JSON.stringify({ feed: FEED, sqs: QUEUE, webhook: HOOK }));
        expectUsage(await run('subscriptions', 'import', both), 'line 1', 'one of "webhook" and "sqs"');
      } finally {
        await cleanup();
      }
    },
    SLOW,
  );

  it.concurrent(
    'shows a webhook secret once, stores it sealed, and rotates it keeping the old one for the grace period',
    async () => {
      const { dir, cleanup } = await scratch('feedrelay-cli-rotate-');
      const dataDir = path.join(dir, 'data');
      const run = (...args: string[]) => feedrelayInProcess([...args, '--data-dir', dataDir]);
      try {
        const secret = newSecret();
        const created = await run('subscribe', FEED, '--webhook', HOOK, '--secret', secret, '--json');
        expectExit(created, 0);
        expect(jsonOf<Shown>(created).subscription.secret).toBe(secret);
        const again = await run('subscribe', FEED, '--webhook', HOOK, '--json');
        expect(jsonOf<Shown>(again)).toMatchObject({ created: false });
        expect(jsonOf<Shown>(again).subscription).not.toHaveProperty('secret');

        const rotated = await run(
          'subscriptions',
          'rotate-secret',
          FEED,
          '--webhook',
          HOOK,
          '--grace-seconds',
          '600',
          '--json',
        );
        expectExit(rotated, 0);
        const doc = jsonOf<Shown & { previousSecretValidUntil: string }>(rotated);
        expect(doc.subscription.secret).toMatch(/^whsec_/);
        expect(doc.subscription.secret).not.toBe(secret);
        expect(Date.parse(doc.previousSecretValidUntil) - Date.now()).toBeGreaterThan(500_000);

        const human = await run('subscriptions', 'rotate-secret', FEED, '--webhook', HOOK, '--grace-seconds', '0');
        expectExit(human, 0);
        expect(human.stdout).toMatch(/secret: whsec_\S+\nthe previous secret no longer signs/);

        // Whatever the tables keep on disk, no secret shown so far is in it.
        const files = (await readdir(path.join(dataDir, 'dynamodb'), { recursive: true, withFileTypes: true }))
          .filter((e) => e.isFile())
          .map((e) => path.join(e.parentPath, e.name));
        const disk = (await Promise.all(files.map((f) => readFile(f)))).map((b) => b.toString('latin1')).join('');
        expect(disk).not.toContain(secret.slice(6));
        expect(disk).not.toContain(doc.subscription.secret!.slice(6));

        expectUsage(
          await run('subscriptions', 'rotate-secret', FEED, '--webhook', HOOK, '--grace-seconds', '-5'),
          '--grace-seconds',
        );
        expectUsage(await run('subscriptions', 'rotate-secret', FEED), 'usage');
        const unknown = await run(
          'subscriptions',
          'rotate-secret',
          FEED,
          '--webhook',
          'https://hooks.example/none',
          '--json',
        );
        expectExit(unknown, 1);
        expect(errorOf(unknown)).toMatchObject({ code: 'not_found' });
      } finally {
        await cleanup();
      }
    },
    SLOW,
  );
});
