import { jest } from '@jest/globals';
import { relaySettings } from '../../../src/application/settings.js';
import { StepRunner } from '../../../src/application/step-runner.js';
import { InMemoryStepLedger } from '../../../src/adapters/memory/in-memory-step-ledger.js';
import { FixedClock, SequentialIdGenerator } from '../../support/memory/fixed-clock.js';

const STEP = 'fetch#run_1.0#0.0.0';
const PREFIX = 'fetch#run_1.0#';

/** A runner of its own over `ledger`: one execution environment. */
const environment = (ledger: InMemoryStepLedger) =>
  new StepRunner(ledger, new FixedClock(), new SequentialIdGenerator(), relaySettings());

/** Work that waits until `release` is called, then returns its tally. */
function heldWork(tally: number) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let runs = 0;
  return {
    release: () => release(),
    runs: () => runs,
    work: async () => {
      runs++;
      await released;
      return { value: tally, record: { tally } };
    },
  };
}

describe('StepRunner.unclaimed', () => {
  it('runs the work and records it with one write and no claim; a later attempt finds it done', async () => {
    // Prepare
    const ledger = new InMemoryStepLedger();
    const runner = environment(ledger);
    const claim = jest.spyOn(ledger, 'claim');

    // Act
    const first = await runner.unclaimed(STEP, async () => ({ value: 7, record: { tally: 7 } }));
    const again = await runner.unclaimed(STEP, async () => ({ value: 8, record: { tally: 8 } }));

    // Assess
    expect(first).toEqual({ ran: true, value: 7 });
    expect(again).toEqual({ ran: false, reason: 'done' });
    expect(claim).not.toHaveBeenCalled();
    expect(await ledger.completed(PREFIX)).toEqual([{ tally: 7 }]);
  });

  it('answers busy to a second attempt in the same environment while the first runs', async () => {
    // Prepare
    const runner = environment(new InMemoryStepLedger());
    const held = heldWork(1);
    const first = runner.unclaimed(STEP, held.work);

    // Act
    const second = await runner.unclaimed(STEP, held.work);
    held.release();

    // Assess: the work ran once; the second attempt's message comes back later and finds the step done.
    expect(second).toEqual({ ran: false, reason: 'busy' });
    expect(await first).toEqual({ ran: true, value: 1 });
    expect(held.runs()).toBe(1);
    expect(await runner.unclaimed(STEP, held.work)).toEqual({ ran: false, reason: 'done' });
  });

  it('lets attempts in two environments at once both run; the first record stands, the other is done', async () => {
    // Prepare
    const ledger = new InMemoryStepLedger();
    const [a, b] = [heldWork(1), heldWork(2)];
    const first = environment(ledger).unclaimed(STEP, a.work);
    const second = environment(ledger).unclaimed(STEP, b.work);

    // Act
    a.release();
    const firstResult = await first;
    b.release();
    const secondResult = await second;

    // Assess
    expect([a.runs(), b.runs()]).toEqual([1, 1]);
    expect(firstResult).toEqual({ ran: true, value: 1 });
    expect(secondResult).toEqual({ ran: false, reason: 'done' });
    expect(await ledger.completed(PREFIX)).toEqual([{ tally: 1 }]);
  });

  it('records nothing when the work fails, so that a retry runs it at once', async () => {
    // Prepare
    const ledger = new InMemoryStepLedger();
    const runner = environment(ledger);
    await expect(
      runner.unclaimed(STEP, async () => {
        throw new Error('the feed server went away');
      }),
    ).rejects.toThrow('went away');

    // Act
    const retry = await runner.unclaimed(STEP, async () => ({ value: 3, record: { tally: 3 } }));

    // Assess
    expect(retry).toEqual({ ran: true, value: 3 });
    expect(await ledger.completed(PREFIX)).toEqual([{ tally: 3 }]);
  });
});
