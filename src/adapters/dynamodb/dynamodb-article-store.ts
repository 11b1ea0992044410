import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import type { Article, StoredArticle } from '../../domain/article.js';
import type { ArticleStore } from '../../application/ports/article-store.port.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { StoreRequestError } from './errors.js';
import {
  batchGetAll,
  conditional,
  distinctBy,
  forEachLimited,
  request,
  CONDITION_FAILED,
  type Item,
} from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from './tokens.js';

const FEED_ID = TABLES.articles.partitionKey;
const ARTICLE_ID = TABLES.articles.sortKey;

/**
 * Articles in DynamoDB, one item per feed and article id. The first write of an article is a conditional
 * put, so whichever run stores it first owns its first sighting, also when two fetches race.
 */
@injectable()
export class DynamoDbArticleStore implements ArticleStore {
  private readonly table: string;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
  ) {
    this.table = names.articles;
  }

  async storeFirstSeen(
    feedId: string,
    runId: string,
    articles: readonly Article[],
    now: Date,
  ): Promise<StoredArticle[]> {
    const candidates = distinctBy(articles, (article) => article.id);
    // An eventually consistent read is enough: an article it misses fails the conditional put and is read back.
    const stored = await this.read(
      feedId,
      candidates.map((article) => article.id),
      false,
    );
    const unseen = candidates.filter((article) => !stored.has(article.id));
    await forEachLimited(unseen, 10, async (article) => {
      const first = fitItem({ ...article, feedId, firstSeenAt: now.toISOString(), firstSeenRunId: runId });
      const result = await conditional(`PutItem on ${this.table}`, () =>
        this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: toItem(first),
            ConditionExpression: 'attribute_not_exists(#aid)',
            ExpressionAttributeNames: { '#aid': ARTICLE_ID },
          }),
        ),
      );
      stored.set(article.id, result === CONDITION_FAILED ? await this.readBack(feedId, article.id) : first);
    });
    return articles.flatMap((article) => {
      const found = stored.get(article.id);
      return found?.firstSeenRunId === runId ? [found] : [];
    });
  }

  async getMany(feedId: string, articleIds: readonly string[]): Promise<StoredArticle[]> {
    const stored = await this.read(feedId, [...new Set(articleIds)], true);
    return articleIds.flatMap((id) => stored.get(id) ?? []);
  }

  private async read(
    feedId: string,
    articleIds: readonly string[],
    consistentRead: boolean,
  ): Promise<Map<string, StoredArticle>> {
    const keys = articleIds.map((id) => ({ [FEED_ID]: feedId, [ARTICLE_ID]: id }));
    const items = await batchGetAll(this.doc, this.table, keys, { consistentRead });
    return new Map(items.map((item) => [String(item[ARTICLE_ID]), fromItem(item)]));
  }

  /** The article a racing writer stored first. */
  private async readBack(feedId: string, articleId: string): Promise<StoredArticle> {
    const out = await request(`GetItem on ${this.table}`, () =>
      this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { [FEED_ID]: feedId, [ARTICLE_ID]: articleId },
          ConsistentRead: true,
        }),
      ),
    );
    if (!out.Item)
      throw new StoreRequestError(`article ${articleId} of feed ${feedId} refused a first write but cannot be read`);
    return fromItem(out.Item);
  }
}

function toItem(article: StoredArticle): Item {
  const { id, ...rest } = article;
  return { ...rest, [ARTICLE_ID]: id };
}

function fromItem(item: Item): StoredArticle {
  const { [ARTICLE_ID]: id, ...rest } = item;
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
