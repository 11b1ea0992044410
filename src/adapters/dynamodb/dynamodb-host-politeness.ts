import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import { isHeld, type HostHold } from '../../domain/host.js';
import { turnWindows, type HostPoliteness } from '../../application/ports/host-politeness.port.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { batchGetAll, conditional, distinctBy, CONDITION_FAILED, type Item } from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from './tokens.js';

const CHAIN = TABLES.steps.partitionKey;
const STEP = TABLES.steps.sortKey;
const EXPIRES_AT = TABLES.steps.timeToLiveAttribute;

/** The partition of a host's record in the steps table: no step chain starts with `host#`. */
export const hostChain = (host: string): string => `host#${host}`;
const HOLD_STEP = 'hold';

/** A record is kept a day past its end (TTL), then DynamoDB deletes it. */
const KEPT_AFTER_SECONDS = 24 * 60 * 60;

/**
 * Host holds in the steps table (`chain` = `host#<host>`, `step` = `hold`), beside the ledger and with its TTL:
 * one BatchGetItem reads the holds of a fetch message's hosts (eventually consistent: a hold recorded a moment
 * ago by another worker may be missed once, which costs one more polite request); one conditional UpdateItem
 * records a hold unless a longer one is there. A rate-limited host's turns are counted per window
 * (`host#<host>`/`turns#<seconds>#<window>`), one conditional ADD per turn taken.
 */
@injectable()
export class DynamoDbHostPoliteness implements HostPoliteness {
  private readonly table: string;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
  ) {
    this.table = names.steps;
  }

  async holdsOn(hosts: readonly string[], now: Date): Promise<ReadonlyMap<string, HostHold>> {
    const keys = distinctBy([...hosts], (host) => host).map((host) => ({
      [CHAIN]: hostChain(host),
      [STEP]: HOLD_STEP,
    }));
    const found = new Map<string, HostHold>();
    if (keys.length === 0) return found;
    const items = await batchGetAll(this.doc, this.table, keys, { consistentRead: false });
    for (const item of items) {
      const hold = holdOf(item);
      if (hold !== undefined && isHeld(hold, now)) found.set(hold.host, hold);
    }
    return found;
  }

  async hold(hold: HostHold): Promise<void> {
    const until = Date.parse(hold.until);
    // A longer hold already recorded stays: the condition fails and nothing is written.
    await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [CHAIN]: hostChain(hold.host), [STEP]: HOLD_STEP },
          UpdateExpression: 'SET #host = :host, #until = :until, #reason = :reason, #expires = :expires',
          ConditionExpression: 'attribute_not_exists(#until) OR #until < :until',
          ExpressionAttributeNames: {
            '#host': 'host',
            '#until': 'holdUntil',
            '#reason': 'reason',
            '#expires': EXPIRES_AT,
          },
          ExpressionAttributeValues: {
            ':host': hold.host,
            ':until': until,
            ':reason': hold.reason,
            ':expires': Math.floor(until / 1000) + KEPT_AFTER_SECONDS,
          },
        }),
      ),
    );
  }

  async takeTurn(host: string, starts: number, perSeconds: number, at: Date, until: Date): Promise<Date | undefined> {
    for (const window of turnWindows(perSeconds, at, until)) {
      const opens = window * perSeconds * 1000;
      const taken = await conditional(`UpdateItem on ${this.table}`, () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { [CHAIN]: hostChain(host), [STEP]: `turns#${perSeconds}#${window}` },
            UpdateExpression: 'ADD #starts :one SET #expires = :expires',
            ConditionExpression: 'attribute_not_exists(#starts) OR #starts < :limit',
            ExpressionAttributeNames: { '#starts': 'starts', '#expires': EXPIRES_AT },
            ExpressionAttributeValues: {
              ':one': 1,
              ':limit': starts,
              ':expires': Math.floor((opens + perSeconds * 1000) / 1000) + TURNS_KEPT_SECONDS,
            },
          }),
        ),
      );
      if (taken !== CONDITION_FAILED) return new Date(Math.max(at.getTime(), opens));
    }
    return undefined;
  }
}

/** A window's count is kept an hour past its end, then DynamoDB deletes it. */
const TURNS_KEPT_SECONDS = 60 * 60;

function holdOf(item: Item): HostHold | undefined {
  const { host, holdUntil, reason } = item;
  if (typeof host !== 'string' || typeof holdUntil !== 'number') return undefined;
  return { host, until: new Date(holdUntil).toISOString(), reason: typeof reason === 'string' ? reason : '' };
}
