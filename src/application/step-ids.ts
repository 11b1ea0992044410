import { digest } from '../domain/hash.js';

/*
 * Where each kind of step lives in the ledger: one place for the names that the use cases write under and
 * the run summary reads back. A run's records are spread over partitions (scan segments, delivery buckets),
 * so that no write pattern puts a whole run under one partition key.
 */

/** The page steps of one segment of a run's feed scan: one chain, one partition. */
export const feedScanSteps = (runId: string, segment: number): string => `relay#${runId}.${segment}#`;

/** The ledger chain of the fetch messages of one segment of a run. */
export const fetchStepPrefix = (runId: string, segment: number | string): string => `fetch#${runId}.${segment}#`;

/** The ledger step of one fetch message, in the chain of its segment (its batch is `<segment>.<page>.<n>`). */
export const fetchStepId = (runId: string, batch: string): string =>
  `${fetchStepPrefix(runId, batch.split('.')[0]!)}${batch}`;

/** A run's delivery tallies are spread over this many ledger partitions. */
export const DELIVERY_BUCKETS = 16;

/** The ledger chain that holds one bucket of a run's delivery tallies. */
export const deliveryChainPrefix = (runId: string, bucket: number): string => `deliver#${runId}.${bucket}#`;

/** The bucket of one shard of a discovery's fan-out: a run's fan-out pages are spread over the delivery buckets. */
const fanOutBucket = (eventId: string, shard: number): number =>
  parseInt(digest(['fan-out', eventId, String(shard)], 8), 16) % DELIVERY_BUCKETS;

/** The ledger partition that holds one bucket of a run's fan-out pages. */
export const fanOutChainPrefix = (runId: string, bucket: number): string => `fanout#${runId}.${bucket}#`;

/** The page steps of the fan-out of one discovery over one subscriber shard. */
export const fanOutSteps = (runId: string, eventId: string, shard: number): string =>
  `${fanOutChainPrefix(runId, fanOutBucket(eventId, shard))}${eventId}.${shard}.`;

/** The ledger step of one attempt at one batch: the bucket depends on the discovery and batch, not the attempt. */
export function deliveryStepId(message: {
  readonly runId: string;
  readonly eventId: string;
  readonly batch: string;
  readonly attempt: number;
}): string {
  const bucket = parseInt(digest(['deliver', message.eventId, message.batch], 8), 16) % DELIVERY_BUCKETS;
  return `${deliveryChainPrefix(message.runId, bucket)}${message.eventId}.${message.batch}.${message.attempt}`;
}
