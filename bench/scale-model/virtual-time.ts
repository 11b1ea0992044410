import { mulberry32 } from '../../src/entrypoints/local/aws-faults.js';
/**
 * A discrete-event scheduler: a virtual clock and a priority queue of timers. Between two instants the
 * microtasks and immediates of the application code settle (one `setImmediate` per instant), so `await`ed
 * virtual delays advance the real use cases without any wall-clock waiting.
 */
export class VirtualTime {
  /** Virtual milliseconds since the start of the scenario. */
  private current = 0;
  private readonly heap: Timer[] = [];
  private sequence = 0;
  /** Instants the loop has stepped through (one settle each). */
  ticks = 0;

  constructor(readonly epoch = Date.parse('2026-01-01T00:00:00Z')) {}

  get now(): number {
    return this.current;
  }

  /** The virtual wall-clock date (what the application's `Clock` reads). */
  date(): Date {
    return new Date(this.epoch + this.current);
  }

  /** Runs `action` at virtual time `at` (milliseconds, rounded up to a whole millisecond, never in the past). */
  at(at: number, action: () => void): void {
    push(this.heap, { at: Math.max(this.current, Math.ceil(at)), seq: this.sequence++, action });
  }

  after(delayMs: number, action: () => void): void {
    this.at(this.current + delayMs, action);
  }

  /** A promise the event loop resolves when virtual time has advanced by `delayMs`. */
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.after(delayMs, resolve));
  }

  get pending(): number {
    return this.heap.length;
  }

  /**
   * Steps through the timers until none is left (or `stop()` says so, or virtual time passes `untilMs`).
   * Every timer of one instant fires, then the application's promise chains settle, then the next instant.
   */
  async run(options: { untilMs?: number; stop?: () => boolean } = {}): Promise<void> {
    const until = options.untilMs ?? Number.POSITIVE_INFINITY;
    await settle();
    while (this.heap.length > 0) {
      if (options.stop?.()) return;
      const next = this.heap[0]!.at;
      if (next > until) return;
      this.current = next;
      while (this.heap.length > 0 && this.heap[0]!.at === next) pop(this.heap)!.action();
      this.ticks++;
      await settle();
    }
  }
}

/** Lets every pending promise continuation (and immediate) run before the clock moves on. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly action: () => void;
}

const before = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

function push(heap: Timer[], timer: Timer): void {
  heap.push(timer);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function pop(heap: Timer[]): Timer | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0 && last !== undefined) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
  return top;
}

/** A seeded pseudo-random generator: the same seed gives the same run (the fault injection's mulberry32). */
export const seededRandom = (seed: number): (() => number) => mulberry32(seed);

/** A lognormal sampler given its median and 99th percentile (milliseconds). */
export function lognormal(random: () => number, medianMs: number, p99Ms: number): () => number {
  const sigma = Math.log(p99Ms / medianMs) / 2.3263478740408408;
  const mu = Math.log(medianMs);
  return () => {
    // Box–Muller; 1 - random() keeps the logarithm finite.
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.exp(mu + sigma * z);
  };
}
