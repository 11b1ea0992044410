import type { RunStore } from '../../src/application/ports/run-store.port.js';
import type { ContractOptions } from './feed-store.contract.js';
import { aRun } from './mothers.js';

const sorted = <T>(values: readonly T[]): T[] =>
  [...values].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** What every run store must do: idempotent records per run and feed. */
export function describeRunStoreContract(
  name: string,
  makeStore: () => Promise<RunStore>,
  _options: ContractOptions = {},
): void {
  describe(`${name} as RunStore`, () => {
    it('creates a run once: creating it again keeps the first', async () => {
      const store = await makeStore();
      const run = aRun({ force: true });

      await store.create(run);
      await store.create({ ...run, force: false, startedAt: '2026-05-05T00:00:00.000Z' });

      expect(await store.get(run.id)).toEqual(run);
      expect(await store.get('no-such-run')).toBeUndefined();
    });

    it('has no records for a run nothing was recorded for', async () => {
      const store = await makeStore();
      const run = aRun();
      await store.create(run);

      expect(await store.feedOutcomes(run.id)).toEqual([]);
    });

    it('records one outcome per feed and run: recording the feed again replaces it', async () => {
      const store = await makeStore();
      const run = aRun();

      await store.recordFeedOutcome(run.id, 'feed-1', 'fetched', 4);
      await store.recordFeedOutcome(run.id, 'feed-1', 'fetched', 4);
      await store.recordFeedOutcome(run.id, 'feed-2', 'failed', 0);
      await store.recordFeedOutcome(run.id, 'feed-2', 'notModified', 0);

      expect(sorted(await store.feedOutcomes(run.id))).toEqual(
        sorted([
          { outcome: 'fetched', newArticles: 4 },
          { outcome: 'notModified', newArticles: 0 },
        ]),
      );
    });

    it('keeps the records of each run apart', async () => {
      const store = await makeStore();
      const [one, two] = [aRun(), aRun()];

      await store.recordFeedOutcome(one.id, 'feed-1', 'fetched', 2);
      await store.recordFeedOutcome(two.id, 'feed-1', 'gone', 0);

      expect(await store.feedOutcomes(one.id)).toEqual([{ outcome: 'fetched', newArticles: 2 }]);
      expect(await store.feedOutcomes(two.id)).toEqual([{ outcome: 'gone', newArticles: 0 }]);
    });

    it('reads back every one of many records', async () => {
      const store = await makeStore();
      const run = aRun();
      const count = 120;

      for (let start = 0; start < count; start += 10) {
        await Promise.all(
          Array.from({ length: 10 }, async (_, offset) => {
            const i = start + offset;
            await store.recordFeedOutcome(run.id, `feed-${i}`, 'fetched', i);
          }),
        );
      }

      const outcomes = await store.feedOutcomes(run.id);
      expect(outcomes).toHaveLength(count);
      expect(outcomes.reduce((sum, o) => sum + o.newArticles, 0)).toBe((count * (count - 1)) / 2);
    });
  });
}
