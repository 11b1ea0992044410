import type { StepLedger } from '../../src/application/ports/step-ledger.port.js';
import { T0, uniqueId } from '../support/mothers.js';

const LEASE = 30;
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

/** A step id of the form the application uses: `relay#<chain>#<page>`. */
const aStep = (): string => `relay#${uniqueId('chain')}#000000000`;

/** What every step ledger must do: one holder at a time, done for good, leases that run out. */
export function describeStepLedgerContract(name: string, makeLedger: () => Promise<StepLedger>): void {
  describe(`${name} as StepLedger`, () => {
    it('claims a fresh step, and tells a second claimant it is busy while the lease runs', async () => {
      const ledger = await makeLedger();
      const step = aStep();

      expect(await ledger.claim(step, 'owner-a', LEASE, at(0))).toBe('claimed');
      expect(await ledger.claim(step, 'owner-b', LEASE, at(1))).toBe('busy');
      expect(await ledger.claim(step, 'owner-a', LEASE, at(2))).toBe('busy');
    });

    it('answers done to everyone once the holder completed the step, also after the lease', async () => {
      const ledger = await makeLedger();
      const step = aStep();
      await ledger.claim(step, 'owner-a', LEASE, at(0));

      await ledger.complete(step, 'owner-a', { items: 3 });

      expect(await ledger.claim(step, 'owner-b', LEASE, at(1))).toBe('done');
      expect(await ledger.claim(step, 'owner-a', LEASE, at(LEASE * 100))).toBe('done');
    });

    it('lets another owner claim when the lease has run out, and not a moment before', async () => {
      const ledger = await makeLedger();
      const step = aStep();
      await ledger.claim(step, 'owner-a', LEASE, at(0));

      expect(await ledger.claim(step, 'owner-b', LEASE, at(LEASE - 0.001))).toBe('busy');
      expect(await ledger.claim(step, 'owner-b', LEASE, at(LEASE))).toBe('claimed');
      expect(await ledger.claim(step, 'owner-c', LEASE, at(LEASE + 1))).toBe('busy');
    });

    it('ignores a completion by anyone but the holder', async () => {
      const ledger = await makeLedger();
      const step = aStep();
      await ledger.claim(step, 'owner-a', LEASE, at(0));

      await ledger.complete(step, 'owner-b', { items: 1 });

      expect(await ledger.claim(step, 'owner-c', LEASE, at(1))).toBe('busy');
      expect(await ledger.completed(step.slice(0, step.lastIndexOf('#') + 1))).toEqual([]);
    });

    it('ignores a late completion by a holder whose lease another owner took over', async () => {
      const ledger = await makeLedger();
      const step = aStep();
      await ledger.claim(step, 'owner-a', LEASE, at(0));
      await ledger.claim(step, 'owner-b', LEASE, at(LEASE + 1));

      await ledger.complete(step, 'owner-a');

      expect(await ledger.claim(step, 'owner-c', LEASE, at(LEASE + 2))).toBe('busy');
      await ledger.complete(step, 'owner-b');
      expect(await ledger.claim(step, 'owner-c', LEASE, at(LEASE + 3))).toBe('done');
    });

    it('lets a retry claim at once after the holder released the step', async () => {
      const ledger = await makeLedger();
      const step = aStep();
      await ledger.claim(step, 'owner-a', LEASE, at(0));

      await ledger.release(step, 'owner-a');

      expect(await ledger.claim(step, 'owner-b', LEASE, at(1))).toBe('claimed');
    });

    it('ignores a release by anyone but the holder, and a release of a done step', async () => {
      const ledger = await makeLedger();
      const held = aStep();
      const done = aStep();
      await ledger.claim(held, 'owner-a', LEASE, at(0));
      await ledger.claim(done, 'owner-a', LEASE, at(0));
      await ledger.complete(done, 'owner-a');

      await ledger.release(held, 'owner-b');
      await ledger.release(done, 'owner-a');

      expect(await ledger.claim(held, 'owner-c', LEASE, at(1))).toBe('busy');
      expect(await ledger.claim(done, 'owner-c', LEASE, at(1))).toBe('done');
    });

    it('keeps the record of the first completion', async () => {
      const ledger = await makeLedger();
      const step = aStep();
      await ledger.claim(step, 'owner-a', LEASE, at(0));

      await ledger.complete(step, 'owner-a', { items: 1, last: false });
      await ledger.complete(step, 'owner-a', { items: 2, last: true });

      expect(await ledger.completed(step.slice(0, step.lastIndexOf('#') + 1))).toEqual([{ items: 1, last: false }]);
    });

    it('grants a step to exactly one of many claimants at once', async () => {
      const ledger = await makeLedger();
      const step = aStep();

      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => ledger.claim(step, `owner-${i}`, LEASE, at(0))),
      );

      expect(results.filter((result) => result === 'claimed')).toHaveLength(1);
      expect(results.filter((result) => result === 'busy')).toHaveLength(7);
    });

    it('lists the completed steps of one chain with their records, and nothing else', async () => {
      const ledger = await makeLedger();
      const chain = uniqueId('chain');
      const prefix = `relay#${chain}#`;
      const run = async (
        stepId: string,
        outcome: 'complete' | 'hold' | 'release',
        record?: Record<string, number | boolean>,
      ) => {
        await ledger.claim(stepId, 'owner', LEASE, at(0));
        if (outcome === 'complete') await ledger.complete(stepId, 'owner', record);
        if (outcome === 'release') await ledger.release(stepId, 'owner');
      };
      await run(`${prefix}000000000`, 'complete', { page: 0, items: 3, last: false });
      await run(`${prefix}000000001`, 'complete');
      await run(`${prefix}000000002`, 'hold');
      await run(`${prefix}000000003`, 'release');
      await run(`relay#${chain}0#000000000`, 'complete', { page: 9 });
      await run(`fetch#${chain}#feed-1`, 'complete', { page: 8 });

      const records = await ledger.completed(prefix);

      expect(records).toHaveLength(2);
      expect(records).toEqual(expect.arrayContaining([{ page: 0, items: 3, last: false }, {}]));
      expect(await ledger.completed(`relay#${uniqueId('chain')}#`)).toEqual([]);
    });

    it('drops the claims under a prefix when their holders are gone, and keeps what is done', async () => {
      const ledger = await makeLedger();
      const chain = `relay#${uniqueId('chain')}#`;
      const [held, done, elsewhere] = [`${chain}000000000`, `${chain}000000001`, aStep()];
      await Promise.all([held, done, elsewhere].map((step) => ledger.claim(step, 'dead-owner', LEASE, at(0))));
      await ledger.complete(done, 'dead-owner', { page: 1, items: 1, last: true });

      const abandoned = await ledger.abandonClaims(chain);

      expect(abandoned).toBe(1);
      expect(await ledger.claim(held, 'next-owner', LEASE, at(1))).toBe('claimed');
      expect(await ledger.claim(done, 'next-owner', LEASE, at(1))).toBe('done');
      expect(await ledger.claim(elsewhere, 'next-owner', LEASE, at(1))).toBe('busy');
      expect(await ledger.completed(chain)).toEqual([{ page: 1, items: 1, last: true }]);
    });

    describe('a step recorded without a claim', () => {
      it('is not done before it is recorded, and done for everyone after, with its record', async () => {
        const ledger = await makeLedger();
        const step = aStep();
        expect(await ledger.isDone(step)).toBe(false);

        expect(await ledger.record(step, at(0), { feeds: 25 })).toBe('recorded');

        expect(await ledger.isDone(step)).toBe(true);
        expect(await ledger.claim(step, 'owner-a', LEASE, at(1))).toBe('done');
        expect(await ledger.completed(step.slice(0, step.lastIndexOf('#') + 1))).toEqual([{ feeds: 25 }]);
      });

      it('keeps the first record when two attempts record the same step', async () => {
        const ledger = await makeLedger();
        const step = aStep();

        const answers = await Promise.all([
          ledger.record(step, at(0), { attempt: 1 }),
          ledger.record(step, at(0), { attempt: 2 }),
        ]);

        expect([...answers].sort()).toEqual(['done', 'recorded']);
        const [kept] = await ledger.completed(step.slice(0, step.lastIndexOf('#') + 1));
        expect(kept).toEqual({ attempt: answers[0] === 'recorded' ? 1 : 2 });
        expect(await ledger.record(step, at(1), { attempt: 3 })).toBe('done');
      });

      it('takes over a claim that is still held, whose holder then cannot complete it', async () => {
        const ledger = await makeLedger();
        const step = aStep();
        await ledger.claim(step, 'owner-a', LEASE, at(0));
        expect(await ledger.isDone(step)).toBe(false);

        expect(await ledger.record(step, at(1), { by: 'record' })).toBe('recorded');
        await ledger.complete(step, 'owner-a', { by: 'claim' });

        expect(await ledger.completed(step.slice(0, step.lastIndexOf('#') + 1))).toEqual([{ by: 'record' }]);
      });

      it('is not recorded over a step its holder completed', async () => {
        const ledger = await makeLedger();
        const step = aStep();
        await ledger.claim(step, 'owner-a', LEASE, at(0));
        await ledger.complete(step, 'owner-a', { by: 'claim' });

        expect(await ledger.record(step, at(1), { by: 'record' })).toBe('done');
        expect(await ledger.completed(step.slice(0, step.lastIndexOf('#') + 1))).toEqual([{ by: 'claim' }]);
      });
    });
  });
}
