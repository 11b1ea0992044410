import type { DeadLetter, DeadLetters } from '../../src/application/ports/dead-letters.port.js';

/** Dead letters on fresh, empty queues, and a look into the source queues a redrive puts them on. */
export interface DeadLettersHarness {
  readonly deadLetters: DeadLetters;
  /** The bodies `queue` (`fetch-feed`, …) holds now, taken off it, sorted. */
  queued(queue: string): Promise<string[]>;
}

/** A dead letter of the fetch-feed queue, first seen `minute` minutes into 2026. */
export const aDeadLetter = (minute: number, overrides: Partial<DeadLetter> = {}): DeadLetter => ({
  queue: 'fetch-feed',
  messageId: `m-${minute}`,
  body: `{"v":9,"n":${minute}}`,
  reason: `invalid_message: unsupported message version 9 (${minute})`,
  firstSeenAt: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
  ...overrides,
});

/** What every DeadLetters adapter must do, whatever keeps the letters. `makeHarness` gives fresh queues. */
export function describeDeadLettersContract(name: string, makeHarness: () => Promise<DeadLettersHarness>): void {
  describe(`${name} as DeadLetters`, () => {
    it('lists what was parked, exactly as parked, oldest first, and reading takes nothing away', async () => {
      // Prepare
      const { deadLetters } = await makeHarness();
      const letters = [
        aDeadLetter(3),
        aDeadLetter(1, { queue: 'deliver', body: '{"quoted": "ü \\" \\\\ \\t"}' }),
        aDeadLetter(2),
      ];

      // Act
      for (const letter of letters) await deadLetters.park(letter);

      // Assess
      const expected = [letters[1], letters[2], letters[0]];
      expect(await deadLetters.list()).toEqual(expected);
      expect(await deadLetters.list()).toEqual(expected);
    });

    it('lists a message parked twice (its invocation crashed after parking it) once', async () => {
      // Prepare
      const { deadLetters } = await makeHarness();

      // Act
      await deadLetters.park(aDeadLetter(1));
      await deadLetters.park(aDeadLetter(1));

      // Assess
      expect(await deadLetters.list()).toEqual([aDeadLetter(1)]);
    });

    it('lists the letters of one queue when it is named', async () => {
      // Prepare
      const { deadLetters } = await makeHarness();
      await deadLetters.park(aDeadLetter(1));
      await deadLetters.park(aDeadLetter(2, { queue: 'start-fan-out' }));

      // Act / Assess
      expect(await deadLetters.list('start-fan-out')).toEqual([aDeadLetter(2, { queue: 'start-fan-out' })]);
      expect(await deadLetters.list('scan-feeds')).toEqual([]);
    });

    it('puts the letters of the queue it is given back on that queue, and keeps the others', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.deadLetters.park(aDeadLetter(1));
      await harness.deadLetters.park(aDeadLetter(2));
      await harness.deadLetters.park(aDeadLetter(3, { queue: 'deliver' }));

      // Act
      const moved = await harness.deadLetters.redrive('fetch-feed');

      // Assess
      expect(moved.map((letter) => letter.messageId).sort()).toEqual(['m-1', 'm-2']);
      expect(await harness.queued('fetch-feed')).toEqual([aDeadLetter(1).body, aDeadLetter(2).body].sort());
      expect(await harness.queued('deliver')).toEqual([]);
      expect(await harness.deadLetters.list()).toEqual([aDeadLetter(3, { queue: 'deliver' })]);
    });

    it('puts every letter back on its own queue when no queue is named', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.deadLetters.park(aDeadLetter(1, { queue: 'scan-feeds' }));
      await harness.deadLetters.park(aDeadLetter(2, { queue: 'scan-subscribers' }));

      // Act
      const moved = await harness.deadLetters.redrive();

      // Assess
      expect(moved).toHaveLength(2);
      expect(await harness.queued('scan-feeds')).toEqual([aDeadLetter(1).body]);
      expect(await harness.queued('scan-subscribers')).toEqual([aDeadLetter(2).body]);
      expect(await harness.deadLetters.list()).toEqual([]);
    });

    it('redrives nothing, and says so, when there is nothing to redrive', async () => {
      const harness = await makeHarness();
      expect(await harness.deadLetters.redrive()).toEqual([]);
    });
  });
}
