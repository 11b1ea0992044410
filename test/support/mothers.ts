import type { Article, ParsedFeed, ParsedItem } from '../../src/domain/article.js';
import type { CrawlRun } from '../../src/domain/crawl-run.js';
import { fetchableOf, newFeed, type Feed } from '../../src/domain/feed.js';
import { newSubscription, type Subscription } from '../../src/domain/subscription.js';
import type {
  DeliverMessage,
  FetchFeedMessage,
  Recipient,
  ScanFeedsPageMessage,
  ScanSubscribersPageMessage,
} from '../../src/application/work-messages.js';

/** The instant every mother starts from. */
export const T0 = new Date('2026-01-01T00:00:00.000Z');

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
    withLastModified(lastModified: string) {
      feed = { ...feed, lastModified };
      return builder;
    },
    withTitle(title: string) {
      feed = { ...feed, title };
      return builder;
    },
    withLastError(code: string, message: string) {
      feed = { ...feed, lastError: { code, message, at: T0.toISOString() } };
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

/** `T0` moved by `seconds`. */
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

/** A seeded Park–Miller generator in [0, 1): the `random` of the in-memory queues, deterministic per seed. */
export function seededRandom(seed: number): () => number {
  let state = Math.abs(Math.trunc(seed)) % 2147483647 || 1;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

/** Object mothers for the work messages, valid unless a test changes them. */
export function aScanFeedsMessage(overrides: Partial<ScanFeedsPageMessage> = {}): ScanFeedsPageMessage {
  return { v: 2, type: 'scan-feeds', runId: 'run_test', force: false, segment: 0, segments: 1, page: 0, ...overrides };
}

/**
 * A fetch message carrying the feeds as the scan would have read them; given a feed id, it carries one
 * feed of that id at version 0.
 */
export function aFetchFeedMessage(
  feeds: readonly Feed[] | string,
  overrides: Partial<FetchFeedMessage> = {},
): FetchFeedMessage {
  const carried =
    typeof feeds === 'string'
      ? [
          {
            ...fetchableOf(newFeed('https://example.com/feed.xml', T0)),
            id: feeds,
            url: `https://example.com/${feeds}.xml`,
          },
        ]
      : feeds.map(fetchableOf);
  return { v: 2, type: 'fetch-feed', runId: 'run_test', force: false, batch: '0.0.0', feeds: carried, ...overrides };
}

/** The id of the (first) feed a fetch message carries. */
export const feedIdOf = (message: FetchFeedMessage): string => message.feeds[0]!.id;

export function aScanSubscribersMessage(
  overrides: Partial<ScanSubscribersPageMessage> = {},
): ScanSubscribersPageMessage {
  return {
    v: 2,
    type: 'scan-subscribers',
    runId: 'run_test',
    eventId: 'evt_test',
    feed: { id: 'feed_test', url: 'https://example.com/feed.xml' },
    articleIds: ['a1'],
    discoveredAt: T0.toISOString(),
    shard: 0,
    shards: 1,
    page: 0,
    ...overrides,
  };
}

/** A recipient of a deliver message: the `n`th webhook subscriber. */
export function aRecipient(n: number, createdAt: Date = T0): Recipient {
  return {
    subscriptionId: `sub_${n}`,
    sink: { kind: 'webhook', url: `https://hooks.example.net/${n}` },
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    createdAt: createdAt.toISOString(),
  };
}

export function aDeliverMessage(overrides: Partial<DeliverMessage> = {}): DeliverMessage {
  return {
    v: 2,
    type: 'deliver',
    runId: 'run_test',
    eventId: 'evt_test',
    feed: { id: 'feed_test', url: 'https://example.com/feed.xml' },
    articleIds: ['a1'],
    batch: '0.0',
    attempt: 1,
    recipients: [aRecipient(1)],
    ...overrides,
  };
}

let sequence = 0;
const next = (): number => ++sequence;

/** A unique id with a readable stem: `feed-17`. */
export function uniqueId(stem: string): string {
  return `${stem}-${next()}`;
}

/** A stored feed, every field given or defaulted (for the store contracts): `aFeedRecord({ errorCount: 2 })`. */
export function aFeedRecord(overrides: Partial<Feed> = {}): Feed {
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

/** A stored subscription, every field given or defaulted (for the store contracts). */
export function aSubscriptionRecord(overrides: Partial<Subscription> = {}): Subscription {
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

/** An article as a parser hands it over, every field given or defaulted. */
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

/** A crawl run as stored. */
export function aRun(overrides: Partial<CrawlRun> = {}): CrawlRun {
  return { id: uniqueId('run'), startedAt: T0.toISOString(), force: false, segments: 1, ...overrides };
}
