import { FeedrelayError } from '../../domain/errors.js';
/**
 * The ways a call to feedrelay's management API (or the lookup of where it is) can fail, each with a stable
 * `code`: the API's own error code when it answered with one, else one of these.
 */
export type ManagementApiFailureCode =
  | 'connect_error'
  | 'timeout'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'http_error'
  | 'bad_response'
  | 'no_credentials'
  | 'no_region'
  | 'stack_not_found'
  | 'no_api_url'
  | 'aws_error';

/** A management API call (or the stack lookup before it) that failed; `status` is the HTTP status when one came. */
export class ManagementApiError extends FeedrelayError {
  constructor(
    readonly code: ManagementApiFailureCode | (string & {}),
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ManagementApiError';
  }
}
