import { FeedrelayError } from '../../domain/errors.js';
/**
 * A request to the table store failed after the SDK's own retries (throttling, a network fault, a
 * malformed item). The SDK error is kept as `cause`; nothing above the adapter needs to know its name.
 */
export class StoreRequestError extends FeedrelayError {
  readonly code = 'store_request_failed';
}

/** The table store kept some keys of a batch unprocessed through every retry. */
export class StoreThrottledError extends FeedrelayError {
  readonly code = 'store_throttled';
}
