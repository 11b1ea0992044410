import type { Article, StoredArticle } from '../../domain/article.js';

/** The articles of every feed, each stored once, remembering the run that first saw it. */
export interface ArticleStore {
  /**
   * Stores the articles not stored before and returns every article of the input whose first sighting
   * belongs to `runId` — also those stored by an earlier, interrupted attempt of the same run, so that a
   * retried fetch reports the same new articles again instead of losing them.
   */
  storeFirstSeen(feedId: string, runId: string, articles: readonly Article[], now: Date): Promise<StoredArticle[]>;
  getMany(feedId: string, articleIds: readonly string[]): Promise<StoredArticle[]>;
}
