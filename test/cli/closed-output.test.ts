import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { feedrelay, jsonOf, repoRoot } from './support.js';

/**
 * Runs the CLI with its stdout read by nobody: the pipe's reading end is closed before the command writes (as
 * `feedrelay … | head -0` would). Resolves with its exit status and stderr.
 */
function withStdoutClosed(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'feedrelay.js'), ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a reader that stops reading the output', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'feedrelay-closed-output-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is no error: the command does its work, prints no stack trace and exits 0', async () => {
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ feed: 'https://example.com/feed.xml', webhook: `https://hooks.example.net/${i}` }),
    );
    const file = path.join(dir, 'subscriptions.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    const dataDir = path.join(dir, 'data');

    // Every line without a secret prints a generated one: several kilobytes, more than the pipe took.
    const closed = await withStdoutClosed(['subscriptions', 'import', file, '--data-dir', dataDir]);

    expect(closed).toEqual({ code: 0, stderr: '' });
    const listed = await feedrelay(['subscriptions', 'list', '--json', '--data-dir', dataDir]);
    expect((jsonOf(listed) as { count: number }).count).toBe(50);
  });
});
