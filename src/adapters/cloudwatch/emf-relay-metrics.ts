import { RELAY_METRICS, type RelayMetric, type RelayMetrics } from '../../application/ports/relay-metrics.port.js';

/** The namespace of feedrelay's metrics in CloudWatch. */
export const METRICS_NAMESPACE = 'feedrelay';
/** The one dimension every metric carries: the stage (the stack) that counted it. */
export const STAGE_DIMENSION = 'Stage';

/** A CloudWatch embedded metric format document: metric values as top-level members, described by `_aws`. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: RelayMetric; readonly Unit: 'Count' }[];
    }[];
  };
  readonly [member: string]: unknown;
}

/**
 * Relay metrics in CloudWatch embedded metric format: the counts of one invocation are kept and `flush` writes
 * them as one JSON log line, which CloudWatch Logs turns into metrics in the `feedrelay` namespace, dimension
 * `Stage` (no PutMetricData call, nothing to wait for). An invocation that counted nothing writes nothing.
 */
export class EmfRelayMetrics implements RelayMetrics {
  private counts = new Map<RelayMetric, number>();

  constructor(
    private readonly stage: string,
    /** Writes one document as one log line (the function's logger). */
    private readonly write: (document: EmfDocument) => void,
    private readonly now: () => number = Date.now,
  ) {
    if (stage.trim() === '') throw new Error('EmfRelayMetrics: the stage must not be empty');
  }

  count(metric: RelayMetric, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`metric ${metric}: a count must be a whole number of at least 0, got ${value}`);
    }
    this.counts.set(metric, (this.counts.get(metric) ?? 0) + value);
  }

  /** Writes what was counted since the last flush, in one document, and starts again from nothing. */
  flush(): void {
    if (this.counts.size === 0) return;
    const counted = RELAY_METRICS.filter((metric) => this.counts.has(metric));
    const document: EmfDocument = {
      _aws: {
        Timestamp: this.now(),
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [[STAGE_DIMENSION]],
            Metrics: counted.map((name) => ({ Name: name, Unit: 'Count' })),
          },
        ],
      },
      [STAGE_DIMENSION]: this.stage,
      ...Object.fromEntries(counted.map((metric) => [metric, this.counts.get(metric)])),
    };
    this.counts = new Map();
    this.write(document);
  }
}
