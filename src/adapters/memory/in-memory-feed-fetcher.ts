import type { ParsedFeed, ParsedItem } from '../../domain/article.js';
import type {
  FeedFetcher,
  FetchFailure,
  FetchRequest,
  FetchResult,
} from '../../application/ports/feed-fetcher.port.js';

interface Published {
  document: ParsedFeed;
  version: number;
}

/**
 * A small web of feeds in memory: publish a document at a URL, and fetches answer like a server with ETags
 * would (304 when nothing changed), or with the failure a test sets.
 */
export class InMemoryFeedFetcher implements FeedFetcher {
  private readonly documents = new Map<string, Published>();
  private readonly failures = new Map<string, FetchFailure>();
  readonly fetches = new Map<string, number>();

  publish(url: string, document: ParsedFeed): void {
    const version = (this.documents.get(url)?.version ?? 0) + 1;
    this.documents.set(url, { document, version });
  }

  /** Adds items at the top of the document at `url`. */
  addItems(url: string, items: readonly ParsedItem[]): void {
    const current = this.documents.get(url)?.document ?? { feed: {}, items: [] };
    this.publish(url, { feed: current.feed, items: [...items, ...current.items] });
  }

  failWith(url: string, failure: FetchFailure | undefined): void {
    if (failure) this.failures.set(url, failure);
    else this.failures.delete(url);
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    this.fetches.set(request.url, (this.fetches.get(request.url) ?? 0) + 1);
    const failure = this.failures.get(request.url);
    if (failure) return { kind: 'failed', error: failure };
    const published = this.documents.get(request.url);
    if (!published) return { kind: 'failed', error: { code: 'http_error', message: 'HTTP 404', status: 404 } };
    const etag = `"v${published.version}"`;
    if (request.etag === etag) return { kind: 'notModified', status: 304, url: request.url, etag };
    return { kind: 'fetched', status: 200, url: request.url, etag, document: published.document };
  }
}
