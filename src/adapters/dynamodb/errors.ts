/** The base of the DynamoDB adapters' errors: a stable `code`, a message for people, the `cause` kept. */
export abstract class DynamoDbAdapterError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A request to the table store failed after the SDK's own retries (throttling, a network fault, a
 * malformed item). The SDK error is kept as `cause`; nothing above the adapter needs to know its name.
 */
export class StoreRequestError extends DynamoDbAdapterError {
  readonly code = 'store_request_failed';
}

/** The table store kept some keys of a batch unprocessed through every retry. */
export class StoreThrottledError extends DynamoDbAdapterError {
  readonly code = 'store_throttled';
}
