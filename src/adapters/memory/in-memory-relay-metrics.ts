import type { RelayMetric, RelayMetrics } from '../../application/ports/relay-metrics.port.js';

/** Relay metrics kept as running totals in memory: what the embedded stack and the tests count. */
export class InMemoryRelayMetrics implements RelayMetrics {
  private readonly totals = new Map<RelayMetric, number>();

  count(metric: RelayMetric, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`metric ${metric}: a count must be a whole number of at least 0, got ${value}`);
    }
    this.totals.set(metric, (this.totals.get(metric) ?? 0) + value);
  }

  /** The total of `metric` so far (0 if never counted). */
  total(metric: RelayMetric): number {
    return this.totals.get(metric) ?? 0;
  }

  /** Every metric counted so far, with its total. */
  all(): Partial<Record<RelayMetric, number>> {
    return Object.fromEntries(this.totals);
  }
}
