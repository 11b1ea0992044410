import type { StoredArticle } from '../../domain/article.js';
import type { ArticleStore } from '../../application/ports/article-store.port.js';

/** Articles in memory, kept by feed and discovery. */
export class InMemoryArticleStore implements ArticleStore {
  private readonly discoveries = new Map<string, StoredArticle[]>();

  async putDiscovery(feedId: string, eventId: string, articles: readonly StoredArticle[]): Promise<void> {
    this.discoveries.set(
      `${feedId}#${eventId}`,
      articles.map((article) => ({ ...article, feedId })),
    );
  }

  async getDiscovery(feedId: string, eventId: string): Promise<StoredArticle[]> {
    return [...(this.discoveries.get(`${feedId}#${eventId}`) ?? [])];
  }

  /** Every stored article, once each (for tests and the simulation). */
  all(): StoredArticle[] {
    const byId = new Map<string, StoredArticle>();
    for (const articles of this.discoveries.values()) for (const a of articles) byId.set(`${a.feedId}#${a.id}`, a);
    return [...byId.values()];
  }
}
