import type { Article, StoredArticle } from '../../domain/article.js';
import type { Notification } from '../../application/ports/notification-sink.port.js';

/** The body of a `feed.articles` webhook: the feed, and its new articles as the contract normalizes them. */
export function webhookBody(notification: Notification): string {
  return JSON.stringify({
    type: 'feed.articles',
    feed: notification.feed,
    articles: notification.articles.map(publicArticle),
  });
}

/** An article without what only the store needs to know (its feed, when and in which run it was first seen). */
export function publicArticle(article: StoredArticle | Article): Article {
  const { feedId: _feedId, firstSeenAt: _at, firstSeenRunId: _run, ...rest } = article as StoredArticle;
  return rest;
}
