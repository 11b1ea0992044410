import { ConfigurationError } from '../../../src/application/errors.js';
import { InMemoryHostPoliteness } from '../../../src/adapters/memory/in-memory-host-politeness.js';
import { HostGate, nextSlot, parseHostLimits } from '../../../src/application/host-limits.js';

describe('parseHostLimits', () => {
  it('reads hosts with a concurrency, and with a rate per duration', () => {
    expect(parseHostLimits('example.com=2/1s, Feeds.Example.org:8443=1/500ms,slow.example=4')).toEqual([
      { host: 'example.com', concurrency: 2, perSeconds: 1 },
      { host: 'feeds.example.org:8443', concurrency: 1, perSeconds: 0.5 },
      { host: 'slow.example', concurrency: 4 },
    ]);
    expect(parseHostLimits('a.example=1/2m,b.example=3/1h')).toEqual([
      { host: 'a.example', concurrency: 1, perSeconds: 120 },
      { host: 'b.example', concurrency: 3, perSeconds: 3600 },
    ]);
  });

  it('reads nothing from an empty or absent setting', () => {
    expect(parseHostLimits(undefined)).toEqual([]);
    expect(parseHostLimits('  ')).toEqual([]);
  });

  it.each([
    ['example.com', 'names no host'],
    ['=2/1s', 'names no host'],
    ['exa mple.com=2', 'is not a host name'],
    ['example.com=0', 'needs a whole number of requests from 1'],
    ['example.com=two', 'needs a whole number of requests from 1'],
    ['example.com=2/fortnight', 'has a duration that is not like'],
    ['example.com=2/0s', 'needs a duration above zero'],
    ['example.com=2/1s/3', 'has more than one "/"'],
    ['example.com=2,example.com=3', 'repeats a host'],
  ])('refuses %j, naming the entry and what is wrong', (text, why) => {
    let error: unknown;
    try {
      parseHostLimits(text, 'FEEDRELAY_HOST_LIMITS');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('FEEDRELAY_HOST_LIMITS');
    expect((error as Error).message).toContain(why);
  });
});

describe('nextSlot', () => {
  const limit = { host: 'a.example', concurrency: 2, perSeconds: 1 };

  it('starts at once when the host has no recent fetch, or no rate', () => {
    expect(nextSlot(undefined, 1000, limit)).toBe(1000);
    expect(nextSlot(990, 1000, { host: 'a.example', concurrency: 2 })).toBe(1000);
  });

  it('spaces the fetches of a rate evenly', () => {
    expect(nextSlot(1000, 1000, limit)).toBe(1500);
    expect(nextSlot(1500, 1000, limit)).toBe(2000);
    expect(nextSlot(1000, 5000, limit)).toBe(5000);
  });
});

describe('HostGate', () => {
  it('waits for each turn of a rate-limited host, and lets other hosts through at once', async () => {
    // Prepare: a clock that moves only when the gate sleeps.
    let now = 0;
    const slept: number[] = [];
    const gate = new HostGate([{ host: 'a.example', concurrency: 1, perSeconds: 2 }], {
      now: () => now,
      maxWaitMs: 10_000,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });

    // Act
    const started: string[] = [];
    await Promise.all([
      gate.run('a.example', async () => started.push(`a@${now}`)),
      gate.run('a.example', async () => started.push(`a@${now}`)),
      gate.run('b.example', async () => started.push(`b@${now}`)),
      gate.run('a.example', async () => started.push(`a@${now}`)),
    ]);

    // Assess
    expect(started.filter((s) => s.startsWith('a@'))).toEqual(['a@0', 'a@2000', 'a@4000']);
    expect(slept).toEqual([2000, 2000]);
  });

  it('shares a rate between workers through the store: together they start no more than it allows per window', async () => {
    // Prepare: two workers (environments) of one clock, one turn store; 2 starts per 10 s.
    let now = 0;
    const store = new InMemoryHostPoliteness();
    const worker = () =>
      new HostGate([{ host: 'a.example', concurrency: 2, perSeconds: 10 }], {
        now: () => now,
        maxWaitMs: 15_000,
        sleep: async () => undefined,
        turns: store.takeTurn.bind(store),
      });
    const [one, two] = [worker(), worker()];

    // Act: three fetches each, at once.
    const results = await Promise.all(
      [one, one, one, two, two, two].map((gate) => gate.run('a.example', async () => 'fetched')),
    );

    // Assess: two in the first window, two in the next, the rest left for a later run.
    expect(results.filter((r) => r === 'fetched')).toHaveLength(4);
    expect(results.filter((r) => r === 'deferred')).toHaveLength(2);
    now = 20_000;
    expect(await one.run('a.example', async () => 'fetched')).toBe('fetched');
  });

  it('asks the store no more while the windows it found full are still to come', async () => {
    // Prepare: 1 start per minute, the clock standing still; the store counts the turns asked for.
    const store = new InMemoryHostPoliteness();
    let asked = 0;
    const gate = new HostGate([{ host: 'a.example', concurrency: 1, perSeconds: 60 }], {
      now: () => 0,
      maxWaitMs: 20_000,
      turns: (...args) => {
        asked++;
        return store.takeTurn(...args);
      },
    });

    // Act
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await gate.run('a.example', async () => 'fetched'));

    // Assess: one turn taken, one refused, then no more questions.
    expect(results).toEqual(['fetched', 'deferred', 'deferred', 'deferred', 'deferred']);
    expect(asked).toBe(2);
  });

  it('applies a host name limit to every port of that host, and a host:port limit to that port only', () => {
    const gate = new HostGate(
      [
        { host: 'a.example', concurrency: 1 },
        { host: 'b.example:8443', concurrency: 2 },
      ],
      { now: () => 0, maxWaitMs: 1000 },
    );
    expect(gate.limitOf('a.example:8080')?.host).toBe('a.example');
    expect(gate.limitOf('b.example:8443')?.concurrency).toBe(2);
    expect(gate.limitOf('b.example')).toBeUndefined();
  });
});
