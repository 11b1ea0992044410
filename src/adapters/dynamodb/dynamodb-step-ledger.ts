import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import type { ClaimResult, StepLedger, StepRecord } from '../../application/ports/step-ledger.port.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { conditional, queryAll, request, CONDITION_FAILED } from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from './tokens.js';

const CHAIN = TABLES.steps.partitionKey;
const STEP = TABLES.steps.sortKey;
const EXPIRES_AT = TABLES.steps.timeToLiveAttribute;

/** How long a step is remembered after its claim: far longer than any message is redelivered. */
export const STEP_RETENTION_SECONDS = 14 * 24 * 60 * 60;

const NAMES = {
  '#chain': CHAIN,
  '#state': 'state',
  '#owner': 'owner',
  '#lease': 'leaseUntil',
} as const;

/**
 * The step ledger in DynamoDB: a step id `a#b#c` is the item (`chain` = `a#b`, `step` = `c`), claimed and
 * completed with conditional writes, so that one chain's completed steps are one Query. Items expire
 * (TTL `expiresAt`) two weeks after their claim.
 */
@injectable()
export class DynamoDbStepLedger implements StepLedger {
  private readonly table: string;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
  ) {
    this.table = names.steps;
  }

  async claim(stepId: string, owner: string, leaseSeconds: number, now: Date): Promise<ClaimResult> {
    const key = keyOf(stepId);
    // A claim that fails finds the step done, or leased; if the lease was released meanwhile, it tries again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await conditional(`UpdateItem on ${this.table}`, () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression:
              'SET #state = :claimed, #owner = :owner, #lease = :lease, #stepId = :stepId, #expires = :expires',
            // As in memory, a lease is over at `leaseUntil` itself.
            ConditionExpression: 'attribute_not_exists(#chain) OR (#state = :claimed AND #lease <= :now)',
            ExpressionAttributeNames: { ...NAMES, '#stepId': 'stepId', '#expires': EXPIRES_AT },
            ExpressionAttributeValues: {
              ':claimed': 'claimed',
              ':owner': owner,
              ':lease': now.getTime() + leaseSeconds * 1000,
              ':now': now.getTime(),
              ':stepId': stepId,
              ':expires': Math.floor(now.getTime() / 1000) + STEP_RETENTION_SECONDS,
            },
          }),
        ),
      );
      if (result !== CONDITION_FAILED) return 'claimed';
      const out = await request(`GetItem on ${this.table}`, () =>
        this.doc.send(
          new GetCommand({
            TableName: this.table,
            Key: key,
            ConsistentRead: true,
            ProjectionExpression: '#state',
            ExpressionAttributeNames: { '#state': 'state' },
          }),
        ),
      );
      if (out.Item) return out.Item.state === 'done' ? 'done' : 'busy';
    }
    return 'busy';
  }

  async complete(stepId: string, owner: string, record?: StepRecord): Promise<void> {
    await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(stepId),
          UpdateExpression: record ? 'SET #state = :done, #record = :record' : 'SET #state = :done',
          ConditionExpression: '#owner = :owner AND #state = :claimed',
          ExpressionAttributeNames: {
            '#state': 'state',
            '#owner': 'owner',
            ...(record ? { '#record': 'record' } : {}),
          },
          ExpressionAttributeValues: {
            ':done': 'done',
            ':claimed': 'claimed',
            ':owner': owner,
            ...(record ? { ':record': record } : {}),
          },
        }),
      ),
    );
  }

  async release(stepId: string, owner: string): Promise<void> {
    await conditional(`DeleteItem on ${this.table}`, () =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: keyOf(stepId),
          ConditionExpression: '#owner = :owner AND #state = :claimed',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':owner': owner },
        }),
      ),
    );
  }

  /**
   * Eventually consistent (half a read unit): a step recorded a moment ago and read as not done only means
   * that the work runs once more, which is what `record` is for.
   */
  async isDone(stepId: string): Promise<boolean> {
    const out = await request(`GetItem on ${this.table}`, () =>
      this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: keyOf(stepId),
          ProjectionExpression: '#state',
          ExpressionAttributeNames: { '#state': 'state' },
        }),
      ),
    );
    return out.Item?.state === 'done';
  }

  async record(stepId: string, now: Date, record?: StepRecord): Promise<'recorded' | 'done'> {
    const result = await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(stepId),
          UpdateExpression: `SET #state = :done, #stepId = :stepId, #expires = :expires${record ? ', #record = :record' : ''}`,
          // A claim still held is taken over: its holder's completion (conditional on `claimed`) then fails.
          ConditionExpression: 'attribute_not_exists(#chain) OR #state <> :done',
          ExpressionAttributeNames: {
            '#chain': CHAIN,
            '#state': 'state',
            '#stepId': 'stepId',
            '#expires': EXPIRES_AT,
            ...(record ? { '#record': 'record' } : {}),
          },
          ExpressionAttributeValues: {
            ':done': 'done',
            ':stepId': stepId,
            ':expires': Math.floor(now.getTime() / 1000) + STEP_RETENTION_SECONDS,
            ...(record ? { ':record': record } : {}),
          },
        }),
      ),
    );
    return result === CONDITION_FAILED ? 'done' : 'recorded';
  }

  async completed(prefix: string): Promise<StepRecord[]> {
    const items = await this.stepsIn(prefix, 'done', ['#record']);
    return items.map((item) => (item.record ?? {}) as StepRecord);
  }

  async abandonClaims(prefix: string): Promise<number> {
    const claimed = await this.stepsIn(prefix, 'claimed', ['#chain', '#step']);
    for (const item of claimed) {
      await conditional(`DeleteItem on ${this.table}`, () =>
        this.doc.send(
          new DeleteCommand({
            TableName: this.table,
            Key: { [CHAIN]: item[CHAIN], [STEP]: item[STEP] },
            ConditionExpression: '#state = :claimed',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':claimed': 'claimed' },
          }),
        ),
      );
    }
    return claimed.length;
  }

  /**
   * One consistent Query of the chain the prefix names, for the steps in one state: `relay#run1#` reads chain
   * `relay#run1`, and `relay#run1#00` its steps that begin with `00`. Steps of deeper chains (`relay#run1#x#y`)
   * live in other partitions and are not found, unlike the in-memory ledger's plain prefix match.
   */
  private async stepsIn(prefix: string, state: 'done' | 'claimed', attributes: readonly string[]) {
    const at = prefix.lastIndexOf('#');
    const chain = at < 0 ? prefix : prefix.slice(0, at);
    const stepPrefix = at < 0 ? '' : prefix.slice(at + 1);
    const items = await queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: stepPrefix ? '#chain = :chain AND begins_with(#step, :step)' : '#chain = :chain',
      FilterExpression: '#state = :state',
      ProjectionExpression: ['#stepId', ...attributes].join(', '),
      // DynamoDB refuses a name no expression uses: only those of the key condition and the projection.
      ExpressionAttributeNames: Object.fromEntries(
        Object.entries(QUERY_NAMES).filter(
          ([name]) => ['#chain', '#state', '#stepId', ...attributes].includes(name) || (name === '#step' && stepPrefix),
        ),
      ),
      ExpressionAttributeValues: { ':chain': chain, ':state': state, ...(stepPrefix ? { ':step': stepPrefix } : {}) },
      ConsistentRead: true,
    });
    return items.filter((item) => String(item.stepId).startsWith(prefix));
  }
}

/** The attribute names a Query of the ledger may use. */
const QUERY_NAMES: Readonly<Record<string, string>> = {
  '#chain': CHAIN,
  '#step': STEP,
  '#state': 'state',
  '#stepId': 'stepId',
  '#record': 'record',
};

/** `a#b#c` → chain `a#b`, step `c`: the id's last `#` separates them, and neither part may be empty. */
function keyOf(stepId: string): Record<string, string> {
  const at = stepId.lastIndexOf('#');
  if (at <= 0 || at === stepId.length - 1) {
    throw new RangeError(`step id ${JSON.stringify(stepId)} is not of the form <chain>#<step>`);
  }
  return { [CHAIN]: stepId.slice(0, at), [STEP]: stepId.slice(at + 1) };
}
