import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import type { CrawlRun, DeliveryState } from '../../domain/crawl-run.js';
import type { RunStore } from '../../application/ports/run-store.port.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { conditional, queryAll, request, CONDITION_FAILED, type Item } from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_RETENTION, DYNAMODB_TABLE_NAMES, type Retention } from './tokens.js';

const RUN_ID = TABLES.runs.partitionKey;
const SK = TABLES.runs.sortKey;
const EXPIRES_AT = TABLES.runs.timeToLiveAttribute;

const RUN_SK = 'RUN';
const DELIVERY_PREFIX = 'DLV#';
/** The one item that names the active run. */
const ACTIVE_KEY = { [RUN_ID]: '#active', [SK]: 'LOCK' };

/**
 * Crawl runs in DynamoDB: one partition per run holding the run item (`RUN`) and one state item per
 * notification (`DLV#<notificationId>`), and one lock item naming the active run, swapped with a
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
    await request(`PutItem on ${this.table}`, () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...rest, [RUN_ID]: id, [SK]: RUN_SK, [EXPIRES_AT]: this.expiresAt() },
        }),
      ),
    );
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

  async recordDelivery(runId: string, notificationId: string, state: DeliveryState): Promise<void> {
    await conditional(`PutItem on ${this.table}`, () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            [RUN_ID]: runId,
            [SK]: `${DELIVERY_PREFIX}${notificationId}`,
            state,
            [EXPIRES_AT]: this.expiresAt(),
          },
          ConditionExpression: 'attribute_not_exists(#sk) OR #state = :pending',
          ExpressionAttributeNames: { '#sk': SK, '#state': 'state' },
          ExpressionAttributeValues: { ':pending': 'pending' },
        }),
      ),
    );
  }

  async deliveries(runId: string): Promise<DeliveryState[]> {
    const items: Item[] = await queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: '#run = :run AND begins_with(#sk, :prefix)',
      ProjectionExpression: '#state',
      ExpressionAttributeNames: { '#run': RUN_ID, '#sk': SK, '#state': 'state' },
      ExpressionAttributeValues: { ':run': runId, ':prefix': DELIVERY_PREFIX },
      ConsistentRead: true,
    });
    return items.map((item) => item.state as DeliveryState);
  }

  private expiresAt(): number {
    return Math.floor(Date.now() / 1000) + this.retention.runSeconds;
  }
}
