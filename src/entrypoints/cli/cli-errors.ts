import { FeedrelayError } from '../../domain/errors.js';
/** Bad usage or a bad input file: exit status 2, with a one-line message naming the problem. */
export class UsageError extends FeedrelayError {
  readonly code = 'usage';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** The operation failed: exit status 1, and `{"error": {...}}` on stdout under --json. */
export class OperationError extends FeedrelayError {
  constructor(
    readonly code: string,
    message: string,
    readonly details: { status?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'OperationError';
  }
}

/** The command was stopped by a signal before it was done: exit status 128 + the signal's number. */
export class InterruptedError extends FeedrelayError {
  readonly code = 'interrupted';

  constructor(
    readonly signal: NodeJS.Signals,
    readonly exitStatus: number,
  ) {
    super(`stopped by ${signal} before it was done`);
    this.name = 'InterruptedError';
  }
}

/**
 * Some items of a batch failed where the batch could not be all-or-nothing (a remote API takes one item per
 * call): exit status 1; under --json the `{"error": …}` document also carries the batch's result and each
 * failure, and without --json each failure is a line on stderr.
 */
export class PartialFailureError extends OperationError {
  constructor(
    message: string,
    readonly result: Record<string, unknown>,
    readonly failures: readonly { readonly item: string; readonly code: string; readonly message: string }[],
  ) {
    super('partial_failure', message);
    this.name = 'PartialFailureError';
  }
}
