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

/**
 * `webhookBody`, made once per batch: a deliver batch hands every recipient the same articles array and feed,
 * so a sink serializes them once rather than once per recipient.
 */
export class WebhookBodies {
  private readonly made = new WeakMap<object, { readonly feed: object; readonly body: string }>();

  of(notification: Notification): string {
    const known = this.made.get(notification.articles);
    if (known && known.feed === notification.feed) return known.body;
    const body = webhookBody(notification);
    this.made.set(notification.articles, { feed: notification.feed, body });
    return body;
  }
}

/** An article without what only the store needs to know (its feed, when and in which run it was first seen). */
export function publicArticle(article: StoredArticle | Article): Article {
  const { feedId: _feedId, firstSeenAt: _at, firstSeenRunId: _run, ...rest } = article as StoredArticle;
  return rest;
}
