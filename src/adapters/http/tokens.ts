import type { ServiceIdentifier } from 'inversify';
import type { FeedParser } from '../../application/ports/feed-parser.port.js';

/** Limits and network policy for fetching feeds; omitted fields take the defaults of `HttpFeedFetcher`. */
export interface HttpFetchOptions {
  /** One deadline for the whole exchange, redirects, body and feed autodiscovery included. Default 10000. */
  readonly timeoutMs?: number;
  /** The largest body accepted, after decompression. Default 5 MiB. */
  readonly maxBytes?: number;
  /**
   * The most body bytes that the fetches under way hold together (after decompression): a fetch past it reads on
   * once others are done, but one (`BodyBudget`). It, not the fetches at once × `maxBytes`, is what a fetcher's
   * memory is sized by. Default 128 MiB.
   */
  readonly maxBytesAtOnce?: number;
  /** Default 5. */
  readonly maxRedirects?: number;
  /** CIDR ranges of otherwise refused (internal) addresses that may be reached, e.g. `127.0.0.0/8`. */
  readonly allowedNetworks?: readonly string[];
}

export const HTTP_FETCH_OPTIONS = Symbol.for('HttpFetchOptions') as ServiceIdentifier<HttpFetchOptions>;
export const FEED_PARSER = Symbol.for('FeedParser') as ServiceIdentifier<FeedParser>;
