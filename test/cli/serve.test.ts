import { spawn } from 'node:child_process';
import path from 'node:path';
import { SampleFeedServer } from '../../src/entrypoints/local/sample-feeds.js';
import { LOOPBACK, repoRoot, scratch } from './support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('feedrelay serve', () => {
  it('runs the workers and the management API until it is told to stop', async () => {
    // Prepare: a feed on loopback and a server whose schedule will not fire during the test.
    const feeds = new SampleFeedServer([{ path: '/feed.xml', title: 'Served', format: 'rss', items: 3 }]);
    await feeds.start();
    const { dir, cleanup } = await scratch('feedrelay-serve-');
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin/feedrelay.js'), 'serve', '--port', '0', '--schedule', '0 0 1 1 *', '--data-dir', dir],
      {
        env: { ...process.env, ...LOOPBACK, FEEDRELAY_FAULTS: '', FEEDRELAY_API_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let stderr = '';
      const { api, token } = await new Promise<{ api: string; token: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const api = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
          const token = /API token \(new\) in \S+: (\S+)/.exec(stderr)?.[1];
          if (api && token) {
            clearTimeout(timer);
            resolve({ api, token });
          }
        });
      });
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

      // Act: add the feed, start a run, and wait for its summary to say it is complete.
      const added = await fetch(`${api}/feeds`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: feeds.url(feeds.feeds[0]!) }),
      });
      const { runId } = (await (await fetch(`${api}/runs`, { method: 'POST', headers, body: '{}' })).json()) as {
        runId: string;
      };
      let summary: { complete?: boolean; fetched?: number; newArticles?: number } = {};
      for (let i = 0; i < 100 && !summary.complete; i++) {
        await sleep(200);
        summary = (await (await fetch(`${api}/runs/${runId}`, { headers })).json()) as typeof summary;
      }
      const listed = (await (await fetch(`${api}/feeds`, { headers })).json()) as { feeds: unknown[] };
      const missing = await fetch(`${api}/nowhere`, { headers });
      child.kill('SIGTERM');

      // Assess
      expect(added.status).toBe(201);
      expect(summary).toMatchObject({ complete: true, fetched: 1, newArticles: 3 });
      expect(listed.feeds).toHaveLength(1);
      expect(missing.status).toBe(404);
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await feeds.stop();
      await cleanup();
    }
  }, 60_000);
});
