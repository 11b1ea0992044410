import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import type { CrawlRun } from '../../domain/crawl-run.js';
import type { ListedRun, RunStore } from '../../application/ports/run-store.port.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { conditional, request, CONDITION_FAILED } from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_RETENTION, DYNAMODB_TABLE_NAMES, type Retention } from './tokens.js';

const RUN_ID = TABLES.runs.partitionKey;
const SK = TABLES.runs.sortKey;
const EXPIRES_AT = TABLES.runs.timeToLiveAttribute;

const RUN_SK = 'RUN';
/** The partition that lists the runs, one small item each, sorted by id (ids begin with the start time). */
const INDEX = '#runs';
/** The one item that names the active run. */
const ACTIVE_KEY = { [RUN_ID]: '#active', [SK]: 'LOCK' };

/**
 * Crawl runs in DynamoDB: one item per run (`RUN`), and one lock item naming the active run, swapped with a
 * conditional write so that two starts never both win. Run items expire (TTL) after the retention.
 */
@injectable()
export class DynamoDbRunStore implements RunStore {
  private readonly table: string;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
    @inject(DYNAMODB_RETENTION) private readonly retention: Retention,
  ) {
    this.table = names.runs;
  }

  async begin(run: CrawlRun, replacing: string | undefined): Promise<boolean> {
    const swapped = await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: ACTIVE_KEY,
          UpdateExpression: 'SET #active = :run',
          ConditionExpression: replacing === undefined ? 'attribute_not_exists(#active)' : '#active = :replacing',
          ExpressionAttributeNames: { '#active': 'activeRunId' },
          ExpressionAttributeValues: {
            ':run': run.id,
            ...(replacing !== undefined ? { ':replacing': replacing } : {}),
          },
        }),
      ),
    );
    if (swapped === CONDITION_FAILED) return false;
    const { id, ...rest } = run;
    const expiresAt = this.expiresAt();
    await Promise.all([
      request(`PutItem on ${this.table}`, () =>
        this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...rest, [RUN_ID]: id, [SK]: RUN_SK, [EXPIRES_AT]: expiresAt },
          }),
        ),
      ),
      request(`PutItem on ${this.table}`, () =>
        this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...rest, [RUN_ID]: INDEX, [SK]: id, [EXPIRES_AT]: expiresAt },
          }),
        ),
      ),
    ]);
    return true;
  }

  async active(): Promise<string | undefined> {
    const out = await request(`GetItem on ${this.table}`, () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: ACTIVE_KEY, ConsistentRead: true })),
    );
    const active = out.Item?.activeRunId;
    return typeof active === 'string' ? active : undefined;
  }

  async abandonActive(): Promise<void> {
    await request(`DeleteItem on ${this.table}`, () =>
      this.doc.send(new DeleteCommand({ TableName: this.table, Key: ACTIVE_KEY })),
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
    return { segments: 1, ...rest, id } as unknown as CrawlRun;
  }

  async list(limit: number): Promise<ListedRun[]> {
    const out = await request(`Query on ${this.table}`, () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#run = :index',
          ExpressionAttributeNames: { '#run': RUN_ID },
          ExpressionAttributeValues: { ':index': INDEX },
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
        }),
      ),
    );
    return (out.Items ?? []).map((item) => {
      const { [RUN_ID]: _index, [SK]: id, [EXPIRES_AT]: _expires, finished, ...rest } = item;
      return { segments: 1, ...rest, id, finished: finished === true } as unknown as ListedRun;
    });
  }

  async markFinished(runId: string): Promise<void> {
    await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [RUN_ID]: INDEX, [SK]: runId },
          UpdateExpression: 'SET #finished = :true',
          ConditionExpression: 'attribute_exists(#sk)',
          ExpressionAttributeNames: { '#finished': 'finished', '#sk': SK },
          ExpressionAttributeValues: { ':true': true },
        }),
      ),
    );
  }

  private expiresAt(): number {
    return Math.floor(Date.now() / 1000) + this.retention.runSeconds;
  }
}
