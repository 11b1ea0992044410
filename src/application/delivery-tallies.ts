import { inject, injectable } from 'inversify';
import type { NotificationTallies } from '../domain/crawl-run.js';
import type { StepLedger, StepRecord } from './ports/step-ledger.port.js';
import { TOKENS } from './tokens.js';
import { attemptsOfPages } from './run-records.js';
import { DELIVERY_BUCKETS, deliveryChainPrefix, fanOutChainPrefix } from './step-ids.js';

/**
 * A run's notification counts, summed from the tallies its deliver attempts completed with (one Query per
 * bucket, for the deliver steps and for the fan-out pages that delivered their lone part themselves):
 * delivered and failed add up; pending is Σ pending − Σ carried, since each retry takes over the pending of
 * the attempt before it.
 */
@injectable()
export class DeliveryTallies {
  constructor(@inject(TOKENS.StepLedger) private readonly ledger: StepLedger) {}

  async of(runId: string): Promise<NotificationTallies> {
    const buckets = Array.from({ length: DELIVERY_BUCKETS }, (_, bucket) => bucket);
    const [deliveries, pages] = await Promise.all(
      [deliveryChainPrefix, fanOutChainPrefix].map(async (prefix) =>
        (await Promise.all(buckets.map((bucket) => this.ledger.completed(prefix(runId, bucket))))).flat(),
      ),
    );
    return talliesOf([...deliveries!, ...attemptsOfPages(pages!)]);
  }
}

/** The notification counts of a run's completed deliver attempts. */
export function talliesOf(records: readonly StepRecord[]): NotificationTallies {
  let delivered = 0;
  let failed = 0;
  let pending = 0;
  for (const record of records) {
    delivered += Number(record.delivered ?? 0);
    failed += Number(record.failed ?? 0);
    pending += Number(record.pending ?? 0) - Number(record.carried ?? 0);
  }
  return { delivered, failed, pending: Math.max(0, pending) };
}
