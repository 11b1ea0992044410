import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import type { CrawlRun, FeedRunOutcome } from '../../domain/crawl-run.js';
import type { RunStore } from '../../application/ports/run-store.port.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { conditional, queryAll, request, type Item } from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from './tokens.js';

const RUN_ID = TABLES.runs.partitionKey;
const SK = TABLES.runs.sortKey;
const EXPIRES_AT = TABLES.runs.timeToLiveAttribute;

/** How long a run and its records are kept (TTL `expiresAt`) after they were written. */
export const RUN_RETENTION_SECONDS = 30 * 24 * 60 * 60;

const RUN_SK = 'RUN';
const FEED_PREFIX = 'FEED#';

/**
 * Crawl runs in DynamoDB, one partition per run: the run item (`RUN`) and one outcome item per feed
 * (`FEED#<feedId>`), so that recording twice overwrites one item and a summary is one Query.
 */
@injectable()
export class DynamoDbRunStore implements RunStore {
  private readonly table: string;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
  ) {
    this.table = names.runs;
  }

  async create(run: CrawlRun): Promise<void> {
    const { id, ...rest } = run;
    await conditional(`PutItem on ${this.table}`, () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...rest, [RUN_ID]: id, [SK]: RUN_SK, [EXPIRES_AT]: expiresAt() },
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': SK },
        }),
      ),
    );
  }

  async get(runId: string): Promise<CrawlRun | undefined> {
    const out = await request(`GetItem on ${this.table}`, () =>
      this.doc.send(
        new GetCommand({ TableName: this.table, Key: { [RUN_ID]: runId, [SK]: RUN_SK }, ConsistentRead: true }),
      ),
    );
    if (!out.Item) return undefined;
    const { [RUN_ID]: id, [SK]: _sk, [EXPIRES_AT]: _expires, ...rest } = out.Item;
    return { ...rest, id } as unknown as CrawlRun;
  }

  async recordFeedOutcome(runId: string, feedId: string, outcome: FeedRunOutcome, newArticles: number): Promise<void> {
    await request(`PutItem on ${this.table}`, () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { [RUN_ID]: runId, [SK]: `${FEED_PREFIX}${feedId}`, outcome, newArticles, [EXPIRES_AT]: expiresAt() },
        }),
      ),
    );
  }

  async feedOutcomes(runId: string): Promise<{ outcome: FeedRunOutcome; newArticles: number }[]> {
    const items = await this.records(runId, FEED_PREFIX, { '#outcome': 'outcome', '#new': 'newArticles' });
    return items.map((item) => ({ outcome: item.outcome as FeedRunOutcome, newArticles: Number(item.newArticles) }));
  }

  /** The run's records under one sort-key prefix, only the projected attributes, every page. */
  private records(runId: string, prefix: string, projected: Record<string, string>): Promise<Item[]> {
    return queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: '#run = :run AND begins_with(#sk, :prefix)',
      ProjectionExpression: Object.keys(projected).join(', '),
      ExpressionAttributeNames: { '#run': RUN_ID, '#sk': SK, ...projected },
      ExpressionAttributeValues: { ':run': runId, ':prefix': prefix },
      ConsistentRead: true,
    });
  }
}

function expiresAt(): number {
  return Math.floor(Date.now() / 1000) + RUN_RETENTION_SECONDS;
}
