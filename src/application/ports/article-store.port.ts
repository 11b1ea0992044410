import type { StoredArticle } from '../../domain/article.js';

/**
 * The articles of every feed, for the deliveries that announce them. Which articles are new is decided by
 * the feed's commit (see `FetchFeeds`), not here: writing an article again only writes the same content.
 */
export interface ArticleStore {
  /** Stores the articles of one feed, in batches; idempotent. */
  putMany(feedId: string, articles: readonly StoredArticle[]): Promise<void>;
  getMany(feedId: string, articleIds: readonly string[]): Promise<StoredArticle[]>;
}
