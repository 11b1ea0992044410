import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/entrypoints/local/embedded-stack.js';
import { SWEEP_INTERVAL_MS, sweepExpired, sweepIfDue } from '../../src/entrypoints/local/ttl-sweep.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

describe('the TTL sweep of the embedded stack', () => {
  let stack: EmbeddedStack;
  let dataDir: string;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    dataDir = await mkdtemp(join(tmpdir(), 'feedrelay-sweep-'));
  });

  afterAll(async () => {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const put = (table: string, item: Record<string, unknown>) =>
    stack.documentClient.send(new PutCommand({ TableName: table, Item: item }));
  const exists = async (table: string, key: Record<string, unknown>) =>
    (await stack.documentClient.send(new GetCommand({ TableName: table, Key: key }))).Item !== undefined;

  it('deletes the items whose expiry has passed and keeps the others', async () => {
    // Prepare
    const { articles, runs, feeds } = stack.tableNames;
    await put(articles, { feedId: 'f1', part: 'old', expiresAt: seconds(NOW) - 1 });
    await put(articles, { feedId: 'f1', part: 'fresh', expiresAt: seconds(NOW) + 30 * 86_400 });
    await put(runs, { runId: 'run_old', sk: 'RUN', expiresAt: seconds(NOW) - 60 });
    await put(feeds, { feedId: 'f1', url: 'https://example.com/f', version: 0 });

    // Act
    const swept = await sweepExpired(stack.documentClient, stack.tableNames, NOW);

    // Assess
    expect(swept).toEqual({ articles: 1, runs: 1 });
    expect(await exists(articles, { feedId: 'f1', part: 'old' })).toBe(false);
    expect(await exists(articles, { feedId: 'f1', part: 'fresh' })).toBe(true);
    expect(await exists(runs, { runId: 'run_old', sk: 'RUN' })).toBe(false);
    expect(await exists(feeds, { feedId: 'f1' })).toBe(true);
  });

  it('sweeps a data directory at most once a day', async () => {
    // Prepare
    const { articles } = stack.tableNames;
    await sweepIfDue(dataDir, stack.documentClient, stack.tableNames, NOW);
    await put(articles, { feedId: 'f2', part: 'expired', expiresAt: seconds(NOW) - 1 });

    // Act
    const soon = await sweepIfDue(dataDir, stack.documentClient, stack.tableNames, new Date(NOW.getTime() + 60_000));
    const nextDay = await sweepIfDue(
      dataDir,
      stack.documentClient,
      stack.tableNames,
      new Date(NOW.getTime() + SWEEP_INTERVAL_MS),
    );

    // Assess
    expect(soon).toBeUndefined();
    expect(nextDay).toEqual({ articles: 1 });
  });
});
