import { digest } from '../domain/hash.js';

/*
 * Where each kind of step lives in the ledger: one place for the names that the use cases write under and
 * the run summary reads back. A run's records are spread over partitions (scan segments, delivery buckets),
 * so that no write pattern puts a whole run under one partition key.
 */

/** The relay chain of one segment of a run's feed scan. */
export const feedScanChain = (runId: string, segment: number): string => `${runId}.${segment}`;

/** The ledger chain of the fetch messages of one segment of a run. */
export const fetchStepPrefix = (runId: string, segment: number | string): string => `fetch#${runId}.${segment}#`;

/** A run's delivery tallies are spread over this many ledger partitions. */
export const DELIVERY_BUCKETS = 16;

/** The ledger chain that holds one bucket of a run's delivery tallies. */
export const deliveryChainPrefix = (runId: string, bucket: number): string => `deliver#${runId}.${bucket}#`;

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
