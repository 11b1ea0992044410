import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { feedrelayInProcess } from './in-process.js';
import { expectExit, jsonOf, scratch } from './support.js';

/**
 * The in-process runner answers as a process would: the command's one document on stdout, its notes and its
 * logs on stderr, the environment it is given and no other, and the test's own environment left as it was.
 */
describe('feedrelay run in-process', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await scratch('feedrelay-in-process-'));
  });
  afterAll(() => cleanup());

  it("captures the command's logs on stderr, apart from its document on stdout", async () => {
    const dataDir = path.join(dir, 'data');
    const started = await feedrelayInProcess(['runs', 'start', '--force', '--data-dir', dataDir, '--json']);
    expectExit(started, 0);
    const { runId } = jsonOf<{ runId: string }>(started);
    const levelBefore = process.env.LOG_LEVEL;

    // The run left unfinished is resumed by the next command that runs the embedded stack, which logs it.
    const crawl = await feedrelayInProcess(['crawl', '--json', '--data-dir', dataDir], { env: { LOG_LEVEL: 'info' } });

    expectExit(crawl, 0);
    expect(jsonOf(crawl)).toHaveProperty('runId');
    const logs = crawl.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; service?: string });
    expect(logs).toContainEqual(
      expect.objectContaining({
        service: 'feedrelay',
        msg: `run ${runId} was left unfinished: its lost work is sent again`,
      }),
    );
    expect(process.env.LOG_LEVEL).toBe(levelBefore);
  });
});
