import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { feedrelayInProcess } from './in-process.js';
import { errorOf, expectExit, feedrelay, scratch } from './support.js';

/**
 * A data directory that cannot be used is reported as such — exit 1, code `data_dir_unusable`, its path in the
 * message — and never as a refused connection to the embedded DynamoDB.
 */
describe('an unusable --data-dir', () => {
  it.concurrent(
    'a file in its place, a file in its path, a corrupt DynamoDB store: each named, with its path',
    async () => {
      const { dir, cleanup } = await scratch('feedrelay-cli-datadir-');
      try {
        const file = path.join(dir, 'a-file');
        await writeFile(file, 'not a directory');
        const corrupt = path.join(dir, 'corrupt');
        expectExit(await feedrelayInProcess(['feeds', 'add', 'https://a.example/feed.xml', '--data-dir', corrupt]), 0);
        const store = path.join(corrupt, 'dynamodb');
        for (const name of await readdir(store)) {
          if (name.startsWith('MANIFEST-')) await writeFile(path.join(store, name), Buffer.alloc(4000, 0xa5));
        }

        for (const [dataDir, reason] of [
          [file, /exists and is not a directory/],
          [path.join(file, 'sub'), /is a file, not a directory/],
          [corrupt, /DynamoDB store .*dynamodb cannot be opened \(Corruption/],
        ] as const) {
          const run = await feedrelayInProcess(['feeds', 'list', '--json', '--data-dir', dataDir]);
          expectExit(run, 1);
          const error = errorOf(run);
          expect(error.code).toBe('data_dir_unusable');
          expect(error.message).toContain(dataDir);
          expect(error.message).toMatch(reason);
          expect(run.stderr).not.toMatch(/ECONNREFUSED/);
        }
      } finally {
        await cleanup();
      }
    },
    120_000,
  );

  // Permissions do not bind root: this one runs as an ordinary user (as CI does).
  (process.getuid?.() === 0 ? it.skip : it)(
    'an unwritable directory is named, with its path',
    async () => {
      const { dir, cleanup } = await scratch('feedrelay-cli-readonly-');
      const readOnly = path.join(dir, 'read-only');
      try {
        await mkdir(readOnly);
        await chmod(readOnly, 0o555);
        const run = await feedrelay(['feeds', 'list', '--json', '--data-dir', readOnly]);
        expectExit(run, 1);
        expect(errorOf(run)).toMatchObject({ code: 'data_dir_unusable', message: expect.stringContaining(readOnly) });
      } finally {
        await chmod(readOnly, 0o755).catch(() => undefined);
        await cleanup();
      }
    },
    60_000,
  );
});
