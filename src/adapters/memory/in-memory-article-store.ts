import type { Article, StoredArticle } from '../../domain/article.js';
import type { ArticleStore } from '../../application/ports/article-store.port.js';

/** Articles in memory, keyed by feed and article id. */
export class InMemoryArticleStore implements ArticleStore {
  private readonly articles = new Map<string, StoredArticle>();

  async storeFirstSeen(
    feedId: string,
    runId: string,
    articles: readonly Article[],
    now: Date,
  ): Promise<StoredArticle[]> {
    const firstSeen: StoredArticle[] = [];
    for (const article of articles) {
      const key = `${feedId}#${article.id}`;
      let stored = this.articles.get(key);
      if (!stored) {
        stored = { ...article, feedId, firstSeenAt: now.toISOString(), firstSeenRunId: runId };
        this.articles.set(key, stored);
      }
      if (stored.firstSeenRunId === runId) firstSeen.push(stored);
    }
    return firstSeen;
  }

  async getMany(feedId: string, articleIds: readonly string[]): Promise<StoredArticle[]> {
    return articleIds.flatMap((id) => this.articles.get(`${feedId}#${id}`) ?? []);
  }

  /** Every stored article (for tests and the simulation). */
  all(): StoredArticle[] {
    return [...this.articles.values()];
  }
}
