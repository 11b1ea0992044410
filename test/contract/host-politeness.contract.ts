import type { HostPoliteness } from '../../src/application/ports/host-politeness.port.js';
import type { HostHold } from '../../src/domain/host.js';
import { T0 } from '../support/mothers.js';

const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const holdOf = (host: string, untilSeconds: number, reason = 'rate_limited: slow down'): HostHold => ({
  host,
  until: at(untilSeconds).toISOString(),
  reason,
});

/** What every host politeness store must do: holds shared by hosts, never shortened, read for many hosts at once. */
export function describeHostPolitenessContract(name: string, makeStore: () => Promise<HostPoliteness>): void {
  describe(`${name} as HostPoliteness`, () => {
    it('knows no hold on a host nobody held', async () => {
      const store = await makeStore();

      const holds = await store.holdsOn(['example.com', 'example.org'], T0);

      expect(holds.size).toBe(0);
    });

    it('answers the holds in force on the hosts asked about, and only those', async () => {
      const store = await makeStore();
      await store.hold(holdOf('a.example', 600, 'rate_limited: a.example asks to slow down'));
      await store.hold(holdOf('b.example:8443', 60));
      await store.hold(holdOf('c.example', 600));

      const holds = await store.holdsOn(['a.example', 'b.example:8443', 'd.example', 'a.example'], at(30));

      expect([...holds.keys()].sort()).toEqual(['a.example', 'b.example:8443']);
      expect(holds.get('a.example')).toEqual(holdOf('a.example', 600, 'rate_limited: a.example asks to slow down'));
    });

    it('forgets a hold once its time has passed', async () => {
      const store = await makeStore();
      await store.hold(holdOf('a.example', 60));

      expect((await store.holdsOn(['a.example'], at(59))).has('a.example')).toBe(true);
      expect((await store.holdsOn(['a.example'], at(60))).has('a.example')).toBe(false);
    });

    it('keeps the longer of two holds, whichever comes last', async () => {
      const store = await makeStore();
      await store.hold(holdOf('a.example', 600, 'first, longer'));
      await store.hold(holdOf('a.example', 60, 'second, shorter'));
      await store.hold(holdOf('b.example', 60, 'first, shorter'));
      await store.hold(holdOf('b.example', 600, 'second, longer'));

      const holds = await store.holdsOn(['a.example', 'b.example'], at(120));

      expect(holds.get('a.example')?.reason).toBe('first, longer');
      expect(holds.get('b.example')?.reason).toBe('second, longer');
    });

    it('gives as many turns of a window as the rate allows, then turns of the next window, to every caller', async () => {
      const store = await makeStore();
      const window = (n: number) => at(n * 10);

      const turns = await Promise.all(
        Array.from({ length: 6 }, () => store.takeTurn('a.example', 2, 10, at(3), at(25))),
      );

      expect(turns.map((turn) => turn?.toISOString()).sort()).toEqual(
        [at(3), at(3), window(1), window(1), window(2), window(2)].map((d) => d.toISOString()).sort(),
      );
      expect(await store.takeTurn('a.example', 2, 10, at(3), at(25))).toBeUndefined();
      expect(await store.takeTurn('b.example', 2, 10, at(3), at(25))).toEqual(at(3));
    });

    it('gives no turn when every window before the deadline is full', async () => {
      const store = await makeStore();
      await store.takeTurn('a.example', 1, 60, at(0), at(20));

      expect(await store.takeTurn('a.example', 1, 60, at(1), at(20))).toBeUndefined();
      expect(await store.takeTurn('a.example', 1, 60, at(1), at(61))).toEqual(at(60));
    });

    it('reads the holds of a hundred hosts at once', async () => {
      const store = await makeStore();
      const hosts = Array.from({ length: 100 }, (_, i) => `h${i}.example`);
      await Promise.all(hosts.filter((_, i) => i % 10 === 0).map((host) => store.hold(holdOf(host, 600))));

      const holds = await store.holdsOn(hosts, at(1));

      expect([...holds.keys()].sort()).toEqual(hosts.filter((_, i) => i % 10 === 0).sort());
    });
  });
}
