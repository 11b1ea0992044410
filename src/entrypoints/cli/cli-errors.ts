/** Bad usage or a bad input file: exit status 2, with a one-line message naming the problem. */
export class UsageError extends Error {
  readonly code = 'usage';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** The operation failed: exit status 1, and `{"error": {...}}` on stdout under --json. */
export class OperationError extends Error {
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
export class InterruptedError extends Error {
  readonly code = 'interrupted';

  constructor(
    readonly signal: NodeJS.Signals,
    readonly exitStatus: number,
  ) {
    super(`stopped by ${signal} before it was done`);
    this.name = 'InterruptedError';
  }
}
