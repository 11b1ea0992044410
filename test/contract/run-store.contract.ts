import type { RunStore } from '../../src/application/ports/run-store.port.js';
import type { ContractOptions } from './feed-store.contract.js';
import { aRun } from '../support/mothers.js';

/** What every run store must do: one active run at a time, swapped only by the start that names it. */
export function describeRunStoreContract(
  name: string,
  makeStore: () => Promise<RunStore>,
  _options: ContractOptions = {},
): void {
  describe(`${name} as RunStore`, () => {
    it('begins a run when none is active, and reads it back', async () => {
      const store = await makeStore();
      const run = aRun({ force: true, segments: 4 });

      expect(await store.active()).toBeUndefined();
      expect(await store.begin(run, undefined)).toBe(true);

      expect(await store.active()).toBe(run.id);
      expect(await store.get(run.id)).toEqual(run);
      expect(await store.get('no-such-run')).toBeUndefined();
    });

    it('lets one of two starts win while a run is active, and only the one that names it replace it', async () => {
      const store = await makeStore();
      const [first, rival, next] = [aRun(), aRun(), aRun()];
      await store.begin(first, undefined);

      const rivalStarted = await store.begin(rival, undefined);
      const nextStarted = await store.begin(next, first.id);
      const staleStarted = await store.begin(rival, first.id);

      expect([rivalStarted, nextStarted, staleStarted]).toEqual([false, true, false]);
      expect(await store.active()).toBe(next.id);
      expect(await store.get(rival.id)).toBeUndefined();
    });

    it('lets exactly one of many racing starts win', async () => {
      const store = await makeStore();
      const runs = Array.from({ length: 8 }, () => aRun());

      const won = await Promise.all(runs.map((run) => store.begin(run, undefined)));

      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await store.active()).toBe(runs[won.indexOf(true)]!.id);
    });

    it('forgets the active run when it is abandoned, and keeps the run itself', async () => {
      const store = await makeStore();
      const run = aRun();
      await store.begin(run, undefined);

      await store.abandonActive();

      expect(await store.active()).toBeUndefined();
      expect(await store.get(run.id)).toEqual(run);
      expect(await store.begin(aRun(), undefined)).toBe(true);
    });

    it('lists the runs newest first, each with whether it was seen finished', async () => {
      const store = await makeStore();
      const older = aRun({ id: 'run_20261201T080000000Z_a' });
      const newer = aRun({ id: 'run_20261201T090000000Z_b' });
      await store.begin(older, undefined);
      await store.begin(newer, older.id);

      await store.markFinished(older.id);
      const listed = await store.list(10);

      expect(listed.map((run) => [run.id, run.finished])).toEqual([
        [newer.id, false],
        [older.id, true],
      ]);
      expect(listed[1]).toEqual({ ...older, finished: true });
      expect((await store.list(1)).map((run) => run.id)).toEqual([newer.id]);
    });
  });
}
