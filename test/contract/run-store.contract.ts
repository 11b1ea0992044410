import fc from 'fast-check';
import type { RunStore } from '../../src/application/ports/run-store.port.js';
import type { DeliveryState } from '../../src/domain/crawl-run.js';
import type { ContractOptions } from './feed-store.contract.js';
import { aRun, uniqueId } from './mothers.js';

/** What every run store must do: one active run at a time, delivery states that never regress. */
export function describeRunStoreContract(
  name: string,
  makeStore: () => Promise<RunStore>,
  options: ContractOptions = {},
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

    it('keeps the delivery records of each run apart', async () => {
      const store = await makeStore();
      const [one, two] = [aRun(), aRun()];

      await store.recordDelivery(one.id, 'msg-1', 'delivered');
      await store.recordDelivery(two.id, 'msg-1', 'pending');

      expect(await store.deliveries(one.id)).toEqual(['delivered']);
      expect(await store.deliveries(two.id)).toEqual(['pending']);
      expect(await store.deliveries('no-such-run')).toEqual([]);
    });

    it.each<[DeliveryState[], DeliveryState]>([
      [['pending'], 'pending'],
      [['pending', 'delivered'], 'delivered'],
      [['pending', 'pending', 'failed'], 'failed'],
      [['delivered', 'pending'], 'delivered'],
      [['failed', 'pending'], 'failed'],
      [['delivered', 'failed'], 'delivered'],
      [['failed', 'delivered'], 'failed'],
    ])('never turns a final delivery state back: %j ends %s', async (states, final) => {
      const store = await makeStore();
      const run = aRun();

      for (const state of states) await store.recordDelivery(run.id, 'msg-1', state);

      expect(await store.deliveries(run.id)).toEqual([final]);
    });

    it('reads back every one of many records', async () => {
      const store = await makeStore();
      const run = aRun();
      const count = 120;

      for (let start = 0; start < count; start += 10) {
        await Promise.all(
          Array.from({ length: 10 }, (_, offset) =>
            store.recordDelivery(run.id, `msg-${start + offset}`, (start + offset) % 2 === 0 ? 'delivered' : 'pending'),
          ),
        );
      }

      const deliveries = await store.deliveries(run.id);
      expect(deliveries.filter((state) => state === 'delivered')).toHaveLength(count / 2);
      expect(deliveries.filter((state) => state === 'pending')).toHaveLength(count / 2);
    });

    it('ends each notification in its first final state, whatever the order of records', async () => {
      const store = await makeStore();
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              notification: fc.constantFrom('msg-a', 'msg-b', 'msg-c'),
              state: fc.constantFrom<DeliveryState>('pending', 'delivered', 'failed'),
            }),
            { maxLength: 12 },
          ),
          async (records) => {
            const runId = uniqueId('run');
            const model = new Map<string, DeliveryState>();
            for (const { notification, state } of records) {
              const current = model.get(notification);
              if (current === undefined || current === 'pending') model.set(notification, state);
              await store.recordDelivery(runId, notification, state);
            }

            expect((await store.deliveries(runId)).sort()).toEqual([...model.values()].sort());
          },
        ),
        { numRuns: options.numRuns ?? 50 },
      );
    });
  });
}
