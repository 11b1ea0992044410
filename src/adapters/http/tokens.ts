import type { ServiceIdentifier } from 'inversify';
import type { FeedParser } from '../../application/ports/feed-parser.port.js';

/** Limits and network policy for fetching feeds; omitted fields take the defaults of `HttpFeedFetcher`. */
export interface HttpFetchOptions {
  /** One deadline for the whole exchange, redirects, body and feed autodiscovery included. Default 10000. */
  readonly timeoutMs?: number;
  /** The largest body accepted, after decompression. Default 5 MiB. */
  readonly maxBytes?: number;
  /** Default 5. */
  readonly maxRedirects?: number;
  /** CIDR ranges of otherwise refused (internal) addresses that may be reached, e.g. `127.0.0.0/8`. */
  readonly allowedNetworks?: readonly string[];
}

export const HTTP_FETCH_OPTIONS = Symbol.for('HttpFetchOptions') as ServiceIdentifier<HttpFetchOptions>;
export const FEED_PARSER = Symbol.for('FeedParser') as ServiceIdentifier<FeedParser>;
