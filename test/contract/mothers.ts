import type { Article } from '../../src/domain/article.js';
import type { CrawlRun } from '../../src/domain/crawl-run.js';
import type { Feed } from '../../src/domain/feed.js';
import type { Subscription } from '../../src/domain/subscription.js';

let sequence = 0;
const next = (): number => ++sequence;

export const T0 = new Date('2026-01-01T00:00:00.000Z');

/** A unique id with a readable stem: `feed-17`. */
export function uniqueId(stem: string): string {
  return `${stem}-${next()}`;
}

export function aFeed(overrides: Partial<Feed> = {}): Feed {
  const id = overrides.id ?? uniqueId('feed');
  return {
    id,
    url: `https://example.com/${id}.xml`,
    nextFetchAt: T0.toISOString(),
    status: 'active',
    errorCount: 0,
    createdAt: T0.toISOString(),
    version: 0,
    subscribers: 0,
    ...overrides,
  };
}

export function aSubscription(overrides: Partial<Subscription> = {}): Subscription {
  const id = overrides.id ?? uniqueId('sub');
  const feedId = overrides.feedId ?? uniqueId('feed');
  return {
    id,
    feedId,
    feedUrl: `https://example.com/${feedId}.xml`,
    sink: { kind: 'webhook', url: `https://hooks.example.net/${id}` },
    secret: 'whsec_c2VjcmV0',
    createdAt: T0.toISOString(),
    status: 'active',
    ...overrides,
  };
}

export function anArticle(overrides: Partial<Article> = {}): Article {
  const id = overrides.id ?? uniqueId('article');
  return {
    id,
    guid: `urn:${id}`,
    title: `Title of ${id}`,
    link: `https://example.com/posts/${id}`,
    published: T0.toISOString(),
    summary: 'A summary',
    authors: [{ name: 'Ada', email: 'ada@example.com' }],
    categories: ['news'],
    enclosures: [{ url: `https://example.com/${id}.mp3`, type: 'audio/mpeg', length: '1234' }],
    ...overrides,
  };
}

export function aRun(overrides: Partial<CrawlRun> = {}): CrawlRun {
  return { id: uniqueId('run'), startedAt: T0.toISOString(), force: false, segments: 1, ...overrides };
}
