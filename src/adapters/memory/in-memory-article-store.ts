import type { StoredArticle } from '../../domain/article.js';
import type { ArticleStore } from '../../application/ports/article-store.port.js';

/** Articles in memory, keyed by feed and article id. */
export class InMemoryArticleStore implements ArticleStore {
  private readonly articles = new Map<string, StoredArticle>();
  /** How many times each article was written (a test can see that a replay wrote, not stored twice). */
  private readonly writes = new Map<string, number>();

  async putMany(feedId: string, articles: readonly StoredArticle[]): Promise<void> {
    for (const article of articles) {
      const key = `${feedId}#${article.id}`;
      this.articles.set(key, { ...article, feedId });
      this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
    }
  }

  async getMany(feedId: string, articleIds: readonly string[]): Promise<StoredArticle[]> {
    return articleIds.flatMap((id) => this.articles.get(`${feedId}#${id}`) ?? []);
  }

  /** Every stored article (for tests and the simulation). */
  all(): StoredArticle[] {
    return [...this.articles.values()];
  }
}
