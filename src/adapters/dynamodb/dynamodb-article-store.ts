import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import type { StoredArticle } from '../../domain/article.js';
import type { ArticleStore } from '../../application/ports/article-store.port.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { batchGetAll, batchPutAll, distinctBy, type Item } from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES, DYNAMODB_RETENTION } from './tokens.js';

const FEED_ID = TABLES.articles.partitionKey;
const ARTICLE_ID = TABLES.articles.sortKey;
const EXPIRES_AT = TABLES.articles.timeToLiveAttribute;

/**
 * Articles in DynamoDB, one item per feed and article id, written 25 to a BatchWriteItem. Which articles
 * are new is decided by the feed's conditional commit, not here, so a replayed write only writes the same
 * article again. Each item expires (TTL) after the retention; the feed's recent-article keys, not these
 * items, say what is new, so an expired article its feed still lists is not new again.
 */
@injectable()
export class DynamoDbArticleStore implements ArticleStore {
  private readonly table: string;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
    @inject(DYNAMODB_RETENTION) private readonly retention: { readonly articleSeconds: number },
  ) {
    this.table = names.articles;
  }

  async putMany(feedId: string, articles: readonly StoredArticle[]): Promise<void> {
    const items = distinctBy(articles, (a) => a.id).map((article) => ({
      ...toItem(fitItem({ ...article, feedId })),
      [EXPIRES_AT]: Math.floor(Date.parse(article.firstSeenAt) / 1000) + this.retention.articleSeconds,
    }));
    await batchPutAll(this.doc, this.table, items);
  }

  /** Eventually consistent: articles are written before the discovery that names them is published. */
  async getMany(feedId: string, articleIds: readonly string[]): Promise<StoredArticle[]> {
    const keys = [...new Set(articleIds)].map((id) => ({ [FEED_ID]: feedId, [ARTICLE_ID]: id }));
    const items = await batchGetAll(this.doc, this.table, keys, { consistentRead: false });
    const byId = new Map(items.map((item) => [String(item[ARTICLE_ID]), fromItem(item)]));
    return articleIds.flatMap((id) => byId.get(id) ?? []);
  }
}

function toItem(article: StoredArticle): Item {
  const { id, ...rest } = article;
  return { ...rest, [ARTICLE_ID]: id };
}

function fromItem(item: Item): StoredArticle {
  const { [ARTICLE_ID]: id, [EXPIRES_AT]: _expires, ...rest } = item;
  return { ...rest, id } as unknown as StoredArticle;
}

/** DynamoDB refuses items over 400 KB; an article is kept well below that. */
const MAX_ARTICLE_BYTES = 300_000;

/**
 * Shortens the longest texts of an article (content, then summary) until the item fits, so that one huge
 * article is stored cut rather than failing its whole feed on every crawl.
 */
export function fitItem(article: StoredArticle): StoredArticle {
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
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
  return fitted;
}
