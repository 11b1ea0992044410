import type { ParsedFeed, ParsedItem } from '../../src/domain/article.js';
import { newFeed, type Feed } from '../../src/domain/feed.js';
import { newSubscription, type Subscription } from '../../src/domain/subscription.js';

const T0 = new Date('2026-01-01T00:00:00Z');

/** Object mother for feeds: `aFeed().withEtag('"v1"').build()`. */
export function aFeed(url = 'https://example.com/feed.xml') {
  let feed: Feed = newFeed(url, T0);
  const builder = {
    withEtag(etag: string) {
      feed = { ...feed, etag };
      return builder;
    },
    dueAt(at: Date) {
      feed = { ...feed, nextFetchAt: at.toISOString() };
      return builder;
    },
    gone() {
      feed = { ...feed, status: 'gone' };
      return builder;
    },
    withErrors(errorCount: number) {
      feed = { ...feed, errorCount };
      return builder;
    },
    build: (): Feed => feed,
  };
  return builder;
}

export function anItem(n: number, overrides: Partial<ParsedItem> = {}): ParsedItem {
  return {
    guid: `urn:item:${n}`,
    title: `Item ${n}`,
    link: `https://example.com/items/${n}`,
    published: new Date(T0.getTime() + n * 60_000).toISOString(),
    summary: `Summary of item ${n}`,
    ...overrides,
  };
}

export function aDocument(items: readonly ParsedItem[], title = 'A feed'): ParsedFeed {
  return { feed: { title, link: 'https://example.com/' }, items };
}

export function aSubscription(feedUrl: string, n: number, createdAt: Date = T0): Subscription {
  return newSubscription({
    feedUrl,
    sink: { kind: 'webhook', url: `https://hooks.example.net/${n}` },
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    now: createdAt,
  });
}

export const feedUrl = (n: number): string => `https://feeds.example.com/${n}.xml`;
