import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { StoredArticle } from '../../domain/article.js';
import type { ArticleStore } from '../../application/ports/article-store.port.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { CoalescedPuts } from './coalesced-puts.js';
import { queryAll } from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES, DYNAMODB_RETENTION } from './tokens.js';

const FEED_ID = TABLES.articles.partitionKey;
const ARTICLE_KEY = TABLES.articles.sortKey;
const EXPIRES_AT = TABLES.articles.timeToLiveAttribute;

/** What one item of a discovery holds at most (JSON before compression): below DynamoDB's 400 KB, with room for the key and TTL. */
const MAX_PART_BYTES = 350_000;

/** The attribute that holds a part's articles: their JSON array, gzipped. */
const BODY = 'articlesGzip';
/** Where items written before the articles were compressed hold them: a list of maps. */
const LEGACY_BODY = 'articles';

/**
 * Articles in DynamoDB, kept by discovery: the articles one discovery announces (at most 100) are one item
 * (`d#<eventId>#0`) in the feed's partition — or a few (`#1`, `#2` …) when their JSON passes 350 KB — so a
 * delivery reads a discovery with one Query, whatever the number of articles. An item holds its articles as one
 * gzipped JSON array (`articlesGzip`): a write costs a write unit per KB stored, and article text compresses about
 * threefold; items written before that hold a list of maps (`articles`), still read. The discoveries stored within
 * a few milliseconds of each other (the feeds of one fetch message) share one BatchWriteItem (`CoalescedPuts`).
 * Items expire (TTL) after the retention; the feed's recent-article keys, not these items, say what is new, so an
 * expired article its feed still lists is not new again.
 */
@injectable()
export class DynamoDbArticleStore implements ArticleStore {
  private readonly table: string;
  private readonly puts: CoalescedPuts;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
    @inject(DYNAMODB_RETENTION) private readonly retention: { readonly articleSeconds: number },
  ) {
    this.table = names.articles;
    this.puts = new CoalescedPuts(doc, this.table, (item) => `${String(item[FEED_ID])}\n${String(item[ARTICLE_KEY])}`);
  }

  async putDiscovery(feedId: string, eventId: string, articles: readonly StoredArticle[]): Promise<void> {
    const parts = partsOf(articles.map((article) => fitted({ ...article, feedId })));
    const expiresAt =
      Math.floor(Date.parse(articles[0]?.firstSeenAt ?? new Date().toISOString()) / 1000) +
      this.retention.articleSeconds;
    await Promise.all(
      // Synchronous: a discovery's few KB compress in a fraction of a millisecond, less than zlib's
      // asynchronous round trip through the thread pool costs the event loop.
      parts.map((part, index) =>
        this.puts.put({
          [FEED_ID]: feedId,
          [ARTICLE_KEY]: `${prefixOf(eventId)}${index}`,
          // The part's JSON array, from its articles' JSON as measured (each article is stringified once).
          [BODY]: gzipSync(`[${part.map((sized) => sized.json).join(',')}]`),
          [EXPIRES_AT]: expiresAt,
        }),
      ),
    );
  }

  /** Eventually consistent: a discovery's articles are written before the discovery is published. */
  async getDiscovery(feedId: string, eventId: string): Promise<StoredArticle[]> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: '#feed = :feed AND begins_with(#key, :prefix)',
      ExpressionAttributeNames: { '#feed': FEED_ID, '#key': ARTICLE_KEY },
      ExpressionAttributeValues: { ':feed': feedId, ':prefix': prefixOf(eventId) },
    });
    items.sort((a, b) => partNumber(a[ARTICLE_KEY]) - partNumber(b[ARTICLE_KEY]));
    return items.flatMap(articlesOf);
  }
}

const prefixOf = (eventId: string): string => `d#${eventId}#`;

/** The articles one item holds, compressed or (written before compression) as a list. */
function articlesOf(item: Record<string, unknown>): StoredArticle[] {
  const body = item[BODY];
  if (body instanceof Uint8Array) return JSON.parse(gunzipSync(body).toString('utf8')) as StoredArticle[];
  return (item[LEGACY_BODY] ?? []) as StoredArticle[];
}
const partNumber = (key: unknown): number => Number(String(key).slice(String(key).lastIndexOf('#') + 1));

/** The articles (with their JSON) cut, in order, into parts of at most `MAX_PART_BYTES` of JSON each. */
function partsOf(articles: readonly Sized[]): Sized[][] {
  const parts: Sized[][] = [];
  let current: Sized[] = [];
  let bytes = 0;
  for (const sized of articles) {
    if (current.length > 0 && bytes + sized.size > MAX_PART_BYTES) {
      parts.push(current);
      current = [];
      bytes = 0;
    }
    current.push(sized);
    bytes += sized.size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/** DynamoDB refuses items over 400 KB; an article is kept well below that. */
const MAX_ARTICLE_BYTES = 300_000;

interface Sized {
  readonly article: StoredArticle;
  readonly json: string;
  /** Bytes of its JSON. */
  readonly size: number;
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

function sized(article: StoredArticle): Sized {
  const json = JSON.stringify(article);
  return { article, json, size: Buffer.byteLength(json, 'utf8') };
}

/**
 * Shortens the longest texts of an article (content, then summary) until the item fits, so that one huge
 * article is stored cut rather than failing its whole feed on every crawl.
 */
export function fitItem(article: StoredArticle): StoredArticle {
  return fitted(article).article;
}

/** `fitItem`, with the JSON of what it returns (made once for an article that fits as it is). */
function fitted(article: StoredArticle): Sized {
  const whole = sized(article);
  if (whole.size <= MAX_ARTICLE_BYTES) return whole;
  const bytes = jsonBytes;
  let fitted = article;
  // The longer text first; each cut aims below the limit, a few rounds absorb multi-byte characters.
  const fields = (['content', 'summary'] as const)
    .slice()
    .sort((a, b) => (article[b]?.length ?? 0) - (article[a]?.length ?? 0));
  for (const field of fields) {
    for (let round = 0; round < 5; round++) {
      const over = bytes(fitted) - MAX_ARTICLE_BYTES;
      const text = fitted[field];
      if (over <= 0 || !text) break;
      const textBytes = bytes(text);
      const keep = Math.floor(text.length * Math.max(0, (textBytes - over - 1024) / textBytes));
      fitted = { ...fitted, [field]: keep > 0 ? `${text.slice(0, keep)}…` : undefined };
    }
  }
  return sized(fitted);
}
