import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { feedrelayInProcess } from './in-process.js';
import { expectExit, jsonOf, scratch } from './support.js';

/**
 * `runs start` on the embedded stack: the run is recorded and returns at once; the next command works on it. Each
 * command opens and closes the embedded stack, in this process (the CLI as a process: the other CLI suites).
 */
describe('feedrelay runs start (embedded stack)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await scratch('feedrelay-runs-start-'));
  });
  afterAll(() => cleanup());

  it('starts a run without waiting; runs resume (as serve or crawl would) finishes it', async () => {
    const started = await feedrelayInProcess(['runs', 'start', '--force', '--data-dir', dir, '--json']);
    expectExit(started, 0);
    const { runId } = jsonOf<{ runId: string }>(started);

    const listed = await feedrelayInProcess(['runs', 'list', '--data-dir', dir, '--json']);
    const resumed = await feedrelayInProcess(['runs', 'resume', runId, '--data-dir', dir, '--json']);

    expect(Object.keys(jsonOf(started))).toEqual(['runId']);
    expect(jsonOf<{ runs: { runId: string; complete: boolean; force: boolean }[] }>(listed).runs).toEqual([
      expect.objectContaining({ runId, complete: false, force: true }),
    ]);
    expectExit(resumed, 0);
    expect(jsonOf(resumed)).toMatchObject({ runId, complete: true });
  });

  it('refuses flags of other actions: --force is for start, --limit for list', async () => {
    const force = await feedrelayInProcess(['runs', 'list', '--force', '--data-dir', dir]);
    const limit = await feedrelayInProcess(['runs', 'start', '--limit', '3', '--data-dir', dir]);

    expectExit(force, 2);
    expectExit(limit, 2);
    expect(force.stderr).toContain('--force is for runs start only');
    expect(limit.stderr).toContain('--limit is for runs list only');
  });
});
