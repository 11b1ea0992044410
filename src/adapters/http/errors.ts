import { FeedrelayError } from '../../domain/errors.js';
import type { FetchErrorCode } from '../../application/ports/feed-fetcher.port.js';

/** The failures an HTTP exchange itself can end in, named as the contract names them. */
export type HttpFailureCode = Extract<
  FetchErrorCode,
  | 'invalid_url'
  | 'unsupported_scheme'
  | 'blocked_address'
  | 'dns_error'
  | 'connect_error'
  | 'tls_error'
  | 'timeout'
  | 'too_large'
  | 'too_many_redirects'
  | 'http_error'
>;

/** An entry of the allowed-networks setting that is not an IP address or CIDR range. */
export class InvalidNetworkError extends FeedrelayError {
  readonly code = 'invalid_network';

  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(`invalid allowed network ${JSON.stringify(entry)}: ${reason}`);
  }
}

/** A fetch limit (timeout, size, redirects) that is not a usable number. */
export class InvalidFetchOptionError extends FeedrelayError {
  readonly code = 'invalid_option';

  constructor(
    readonly option: string,
    value: unknown,
    expected: string,
  ) {
    super(
      `invalid ${option} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}: expected ${expected}`,
    );
  }
}

/** A connection refused by the network guard because the address is internal and not explicitly allowed. */
export class BlockedAddressError extends FeedrelayError {
  readonly code = 'blocked_address';

  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(
      hostname === address
        ? `refusing to connect to ${address}: the address is not public and not in the allowed networks`
        : `refusing to connect to ${hostname} (${address}): the address is not public and not in the allowed networks`,
    );
  }
}

/** An HTTP exchange that ended without a usable response; `status` is set when a response had arrived. */
export class HttpRequestError extends FeedrelayError {
  readonly code: HttpFailureCode;
  readonly status?: number;

  constructor(code: HttpFailureCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.code = code;
    if (options?.status !== undefined) this.status = options.status;
  }
}
