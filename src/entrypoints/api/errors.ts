import { FeedrelayError } from '../../domain/errors.js';
/*
 * The management API's errors: what it answers on purpose. HTTP statuses live here, in the entrypoint, and
 * nowhere further in.
 */

/** An answer the API gives on purpose: a status, a stable code and a message that names the problem. */
export class ApiError extends FeedrelayError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    /** More about the error, beside `code` and `message` (e.g. the run already going). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
