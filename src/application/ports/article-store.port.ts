import type { StoredArticle } from '../../domain/article.js';

/**
 * The articles of every feed, kept by discovery: the articles one discovery announces are written and read
 * together, so a delivery reads them in one request and a fetch writes them in one (more only for very
 * large articles). Which articles are new is decided by the feed's commit (see `FetchFeeds`), not here:
 * writing a discovery again writes the same articles again.
 */
export interface ArticleStore {
  /** Stores the articles of one discovery of one feed; idempotent. */
  putDiscovery(feedId: string, eventId: string, articles: readonly StoredArticle[]): Promise<void>;
  /** The articles of one discovery, in the order they were stored; none for an unknown one. */
  getDiscovery(feedId: string, eventId: string): Promise<StoredArticle[]>;
}
