import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import type { PagePosition } from '../../domain/cursor.js';
import { InvalidCursorError } from '../../domain/errors.js';
import {
  candidatePacks,
  candidateShards,
  isPack,
  packAt,
  packLevelOf,
  PACK_PREFIX,
  shardOf,
  withSecretsOf,
  type Subscription,
} from '../../domain/subscription.js';
import type { SubscriptionLayout } from '../../domain/feed.js';
import type { Page } from '../../application/ports/page.js';
import type {
  PlacedSubscription,
  SubscriberPageReader,
  SubscriptionRepository,
} from '../../application/ports/subscription-store.port.js';
import { mapBounded } from '../../application/bounded.js';
import { TABLES } from '../aws-resources.js';
import type { TableNames } from './dynamodb-tables.js';
import { StoreRequestError } from './errors.js';
import {
  batchGetAll,
  batchWriteAll,
  chunksOf,
  conditional,
  pageLimit,
  positionOf,
  request,
  startKeyOf,
  CONDITION_FAILED,
  type Item,
} from './requests.js';
import { DYNAMODB_DOCUMENT_CLIENT, DYNAMODB_TABLE_NAMES } from './tokens.js';

const FEED_SHARD = TABLES.subscriptions.partitionKey;
const SUBSCRIPTION_ID = TABLES.subscriptions.sortKey;

/** The partition of one shard of one feed's subscribers. */
export const feedShardKey = (feedId: string, shard: number): string => `${feedId}#${shard}`;

/**
 * Subscriptions in DynamoDB, one partition per feed shard (`<feedId>#<shard>`). An item is either one
 * subscription (sort key: its id) or a pack of them (sort key `#p10.0713`, see `PACK_SIZE`) whose attributes are
 * its subscriptions, each under its id as one JSON string; either way a subscription is stored without its id
 * and feed. One subscription in a pack changes by a read and a write conditional on what was read. A lookup by
 * (feed, id) reads every place the id may be in (`candidateShards` × its own key and `candidatePacks`) in
 * batched reads. Pages are consistent Queries of one shard, packs first (by id within a pack), then the items of
 * one subscription by id; a page may stop inside a pack. A feed removed once has an item of no subscription in
 * its first shard (`REMOVED`).
 */
@injectable()
export class DynamoDbSubscriptionStore implements SubscriptionRepository, SubscriberPageReader {
  private readonly table: string;

  constructor(
    @inject(DYNAMODB_DOCUMENT_CLIENT) private readonly doc: DynamoDBDocumentClient,
    @inject(DYNAMODB_TABLE_NAMES) names: TableNames,
  ) {
    this.table = names.subscriptions;
  }

  async add(subscription: Subscription, shards = 1): Promise<Subscription> {
    // Retried only if the active subscription that refused the put is gone by the time it is read.
    for (let attempt = 0; attempt < 5; attempt++) {
      const [existing] = await this.findMany(subscription.feedId, [subscription.id], shards);
      if (existing?.subscription.status === 'active') return existing.subscription;
      if (existing?.pack !== undefined) {
        let active: Subscription | undefined;
        const changed = await this.changeInPack(existing, (current) => {
          active = current.status === 'active' ? current : undefined;
          return active ? undefined : subscription;
        });
        if (changed === 'written') return subscription;
        if (active) return active;
        continue;
      }
      const shard = existing?.shard ?? shardOf(subscription.id, shards);
      const result = await conditional(`PutItem on ${this.table}`, () =>
        this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...valueOf(subscription), ...keyOf(subscription.feedId, shard, subscription.id) },
            ConditionExpression: 'attribute_not_exists(#sid) OR #status <> :active',
            ExpressionAttributeNames: { '#sid': SUBSCRIPTION_ID, '#status': 'status' },
            ExpressionAttributeValues: { ':active': 'active' },
          }),
        ),
      );
      if (result !== CONDITION_FAILED) return subscription;
    }
    throw new StoreRequestError(`subscription ${subscription.id} kept changing while it was added`);
  }

  async get(feedId: string, subscriptionId: string): Promise<Subscription | undefined> {
    return (await this.findMany(feedId, [subscriptionId]))[0]?.subscription;
  }

  async findMany(
    feedId: string,
    subscriptionIds: readonly string[],
    shards?: number,
    layout?: SubscriptionLayout,
  ): Promise<PlacedSubscription[]> {
    const ids = new Set(subscriptionIds);
    const places = [...ids].map((id) => ({ id, shards: candidateShards(id, shards) }));
    // Without the feed's layout, a few ids are read at every level; for more, each shard's highest level is
    // asked first (a one-key Query a shard), so that a feed of 40 reads its one pack, not 13 places.
    const levels = new Map<number, number>();
    if (!layout && ids.size > FEW_IDS) {
      const named = [...new Set(places.flatMap((place) => place.shards))];
      await mapBounded(named, 8, async (shard) => {
        levels.set(shard, await this.highestLevelIn(feedShardKey(feedId, shard)));
      });
    }
    const placesOf = (id: string, shard: number): string[] =>
      layout
        ? [...(layout.unpacked ? [id] : []), packAt(id, layout.packLevel)]
        : [id, ...candidatePacks(id, levels.get(shard))];
    const keys = new Map<string, Item>();
    for (const { id, shards } of places) {
      for (const shard of shards) {
        for (const key of placesOf(id, shard)) keys.set(`${shard} ${key}`, keyOf(feedId, shard, key));
      }
    }
    const items = await batchGetAll(this.doc, this.table, [...keys.values()], { consistentRead: true, concurrency: 8 });
    const found = new Map<string, PlacedSubscription>();
    for (const item of items) {
      for (const placed of subscriptionsOf(item)) {
        if (!ids.has(placed.subscription.id)) continue;
        const other = found.get(placed.subscription.id);
        // Two copies only after a race of writers across a doubling of K or a level: the active one counts.
        if (!other || (other.subscription.status !== 'active' && placed.subscription.status === 'active')) {
          found.set(placed.subscription.id, placed);
        }
      }
    }
    return [...ids].flatMap((id) => found.get(id) ?? []);
  }

  async putMany(placed: readonly PlacedSubscription[], options: { newPacks?: boolean } = {}): Promise<void> {
    const own: Item[] = [];
    const packs = new Map<string, { shard: number; pack: string; feedId: string; members: Subscription[] }>();
    for (const { subscription, shard, pack } of placed) {
      if (pack === undefined) {
        own.push({ ...valueOf(subscription), ...keyOf(subscription.feedId, shard, subscription.id) });
        continue;
      }
      const name = `${subscription.feedId}#${shard} ${pack}`;
      const group = packs.get(name) ?? { shard, pack, feedId: subscription.feedId, members: [] };
      packs.set(name, group);
      group.members.push(subscription);
    }
    const whole = options.newPacks ? [...packs.values()] : [];
    const merged = options.newPacks ? [] : [...packs.values()];
    await Promise.all([
      batchWriteAll(
        this.doc,
        this.table,
        [
          ...own,
          ...whole.map(({ feedId, shard, pack, members }) => ({
            ...Object.fromEntries(members.map((s) => [s.id, packedValueOf(s)])),
            ...keyOf(feedId, shard, pack),
          })),
        ],
        { concurrency: 8 },
      ),
      mapBounded(
        merged.flatMap(({ feedId, shard, pack, members }) =>
          chunksOf(members, MERGED_AT_ONCE).map((chunk) => ({ key: keyOf(feedId, shard, pack), chunk })),
        ),
        8,
        ({ key, chunk }) => this.merge(key, chunk),
      ),
    ]);
  }

  async noteRemoved(feedIds: readonly string[]): Promise<void> {
    await batchWriteAll(
      this.doc,
      this.table,
      [...new Set(feedIds)].map((feedId) => keyOf(feedId, 0, REMOVED)),
    );
  }

  async removedAmong(feedIds: readonly string[]): Promise<Set<string>> {
    const keys = [...new Set(feedIds)].map((feedId) => keyOf(feedId, 0, REMOVED));
    const items = await batchGetAll(this.doc, this.table, keys, { consistentRead: true, concurrency: 8 });
    return new Set(items.map((item) => shardOfPartition(item[FEED_SHARD]).feedId));
  }

  async end(feedId: string, subscriptionId: string): Promise<void> {
    const [existing] = await this.findMany(feedId, [subscriptionId]);
    if (!existing) return;
    if (existing.pack !== undefined) {
      await this.changeInPack(existing, (current) =>
        current.status === 'ended' ? undefined : { ...current, status: 'ended' },
      );
      return;
    }
    // The condition keeps an UpdateItem on a subscription deleted meanwhile from creating a stub item.
    await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(feedId, existing.shard, subscriptionId),
          UpdateExpression: 'SET #status = :ended',
          ConditionExpression: 'attribute_exists(#sid)',
          ExpressionAttributeNames: { '#sid': SUBSCRIPTION_ID, '#status': 'status' },
          ExpressionAttributeValues: { ':ended': 'ended' },
        }),
      ),
    );
  }

  async rotateSecret(rotated: PlacedSubscription, expectedSecret: string): Promise<boolean> {
    const { subscription, shard, pack } = rotated;
    if (pack !== undefined) {
      const changed = await this.changeInPack(rotated, (current) =>
        current.status === 'active' && current.secret === expectedSecret
          ? withSecretsOf(current, subscription)
          : undefined,
      );
      return changed === 'written';
    }
    const set: string[] = [];
    const remove: string[] = [];
    const values: Record<string, unknown> = { ':active': 'active', ':expected': expectedSecret };
    for (const field of SECRET_FIELDS) {
      const value = subscription[field];
      if (value === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    const result = await conditional(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(subscription.feedId, shard, subscription.id),
          UpdateExpression: [
            set.length ? `SET ${set.join(', ')}` : '',
            remove.length ? `REMOVE ${remove.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join(' '),
          ConditionExpression: 'attribute_exists(#sid) AND #status = :active AND #secret = :expected',
          ExpressionAttributeNames: {
            '#sid': SUBSCRIPTION_ID,
            '#status': 'status',
            '#secret': 'secret',
            '#previousSecret': 'previousSecret',
            '#previousSecretUntil': 'previousSecretUntil',
          },
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return result !== CONDITION_FAILED;
  }

  /**
   * Changes one subscription inside a pack: reads it, and writes what `change` makes of it (nothing: no write)
   * on condition that it is still what was read, reading again if it was not.
   */
  private async changeInPack(
    { subscription: { feedId, id }, shard, pack }: PlacedSubscription,
    change: (current: Subscription) => Subscription | undefined,
  ): Promise<'written' | 'unchanged' | 'missing'> {
    const key = keyOf(feedId, shard, pack!);
    for (let attempt = 0; attempt < 5; attempt++) {
      // A BatchGetItem of one key, not a GetItem: the functions that end subscriptions (deliver, the fan-out's
      // pages) are granted BatchGetItem and UpdateItem on this table, and no more.
      const [item] = await batchGetAll(this.doc, this.table, [key], { consistentRead: true });
      const stored = item?.[id];
      if (typeof stored !== 'string') return 'missing';
      const next = change(unpacked(feedId, id, stored));
      if (next === undefined) return 'unchanged';
      const result = await conditional(`UpdateItem on ${this.table}`, () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression: 'SET #sub = :next',
            ConditionExpression: '#sub = :stored',
            ExpressionAttributeNames: { '#sub': id },
            ExpressionAttributeValues: { ':next': packedValueOf(next), ':stored': stored },
          }),
        ),
      );
      if (result !== CONDITION_FAILED) return 'written';
    }
    throw new StoreRequestError(`subscription ${id} kept changing while it was written`);
  }

  /**
   * One page of one shard, consistent so that a subscription just added is not missed: up to `limit`
   * subscriptions, read in up to `QUERIES_PER_PAGE` Queries of about as many packs as the limit needs. A page
   * that stops inside a pack says so in its position (`after`: the last id read there); the next page reads that
   * pack again from there.
   */
  async readPage(
    feedId: string,
    shard: number,
    after: PagePosition | undefined,
    limit: number,
  ): Promise<Page<Subscription>> {
    const partition = feedShardKey(feedId, shard);
    const wanted = pageLimit(limit);
    const start = after === undefined ? undefined : startOf(after);
    if (start !== undefined && start.key[FEED_SHARD] !== partition) {
      throw new InvalidCursorError(`page position belongs to another feed or shard than ${partition}`);
    }
    const items: Subscription[] = [];
    // Inside a pack, the page goes on after this id of it; past it, after this key.
    let within = start?.within;
    let exclusive = start?.within === undefined ? start?.key : undefined;
    // Packs sort before the items of one subscription: past the first of those, an item is a subscription.
    let perItem = start !== undefined && !isPack(String(start.key[SUBSCRIPTION_ID])) ? 1 : PAGE_PACK_FILL;
    for (let query = 0; query < QUERIES_PER_PAGE; query++) {
      const out = await request(`Query on ${this.table}`, () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: within ? '#partition = :partition AND #sid >= :from' : '#partition = :partition',
            ExpressionAttributeNames: { '#partition': FEED_SHARD, ...(within ? { '#sid': SUBSCRIPTION_ID } : {}) },
            ExpressionAttributeValues: { ':partition': partition, ...(within ? { ':from': within.pack } : {}) },
            Limit: Math.ceil((wanted - items.length) / perItem),
            ConsistentRead: true,
            ...(exclusive ? { ExclusiveStartKey: exclusive } : {}),
          }),
        ),
      );
      const read = out.Items ?? [];
      for (const [n, item] of read.entries()) {
        const key = String(item[SUBSCRIPTION_ID]);
        if (!isPack(key)) perItem = 1;
        const members = subscriptionsOf(item)
          .map((placed) => placed.subscription)
          .filter((s) => within === undefined || key !== within.pack || s.id > within.id);
        const room = wanted - items.length;
        items.push(...members.slice(0, room));
        if (members.length > room) {
          return { items, next: { [FEED_SHARD]: partition, [SUBSCRIPTION_ID]: key, after: items.at(-1)!.id } };
        }
        if (items.length === wanted) {
          const more = n + 1 < read.length || out.LastEvaluatedKey !== undefined;
          return more ? { items, next: { [FEED_SHARD]: partition, [SUBSCRIPTION_ID]: key } } : { items };
        }
      }
      within = undefined;
      exclusive = out.LastEvaluatedKey;
      if (exclusive === undefined) return { items };
    }
    return { items, ...(exclusive ? { next: positionOf(exclusive)! } : {}) };
  }

  /** The highest level of the packs in one shard (-1: none). */
  private async highestLevelIn(partition: string): Promise<number> {
    const out = await request(`Query on ${this.table}`, () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#partition = :partition AND begins_with(#sid, :pack)',
          ExpressionAttributeNames: { '#partition': FEED_SHARD, '#sid': SUBSCRIPTION_ID },
          ExpressionAttributeValues: { ':partition': partition, ':pack': PACK_PREFIX },
          ProjectionExpression: '#sid',
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      ),
    );
    const key = out.Items?.[0]?.[SUBSCRIPTION_ID];
    return key === undefined ? -1 : packLevelOf(String(key));
  }

  /** Adds subscriptions to a pack (created if it is not there), each replacing one with its id. */
  private async merge(key: Item, members: readonly Subscription[]): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = members.map((subscription, n) => {
      names[`#s${n}`] = subscription.id;
      values[`:s${n}`] = packedValueOf(subscription);
      return `#s${n} = :s${n}`;
    });
    await request(`UpdateItem on ${this.table}`, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}

/**
 * The sort key of the item that says a feed was removed once (`noteRemoved`), in its first shard: no id begins
 * with `#`, and a page reads no subscription in it.
 */
const REMOVED = '#removed';
/** Ids looked up at every level of every candidate shard without asking the shards their levels first. */
const FEW_IDS = 4;
/**
 * A page asks for an item per this many subscriptions it wants while it reads packs (they hold `PACK_SIZE` / 2
 * to `PACK_SIZE`), and for one per subscription once it reads items of one subscription (they sort after packs).
 */
const PAGE_PACK_FILL = 32;
/** A page of packs emptier than that (or of packs, then items of one subscription) reads on this often. */
const QUERIES_PER_PAGE = 4;
/** Subscriptions merged into a pack by one UpdateItem: its expression stays well within DynamoDB's 4 KB. */
const MERGED_AT_ONCE = 100;

function keyOf(feedId: string, shard: number, sortKey: string): Item {
  return { [FEED_SHARD]: feedShardKey(feedId, shard), [SUBSCRIPTION_ID]: sortKey };
}

/** A page position: a key to go on after, or (with `after`) a pack to go on inside of. */
function startOf(position: PagePosition): { key: Item; within?: { pack: string; id: string } } {
  const { after, ...rest } = position;
  const key = startKeyOf(rest, [FEED_SHARD, SUBSCRIPTION_ID]);
  if (after === undefined) return { key };
  if (typeof after !== 'string' || !isPack(String(key[SUBSCRIPTION_ID]))) {
    throw new InvalidCursorError('page position names a place inside something that is not a pack');
  }
  return { key, within: { pack: String(key[SUBSCRIPTION_ID]), id: after } };
}

/** A subscription as an item of its own holds it, besides its key: without its id and feed. */
function valueOf(subscription: Subscription): Item {
  const { id: _id, feedId: _feedId, ...rest } = subscription;
  return rest;
}

/**
 * A subscription as a pack holds it: the JSON of what an item of its own holds, one string. A pack is written
 * and read whole far more often than one of its subscriptions changes; a string costs the SDK and the table
 * one value to write and check where a map costs one for each field (and the import a tenth of its time).
 */
function packedValueOf(subscription: Subscription): string {
  return JSON.stringify(valueOf(subscription));
}

function unpacked(feedId: string, id: string, stored: string): Subscription {
  return { feedId, ...(JSON.parse(stored) as object), id } as Subscription;
}

const SECRET_FIELDS = ['secret', 'previousSecret', 'previousSecretUntil'] as const;

/** The feed and shard a partition key names (`feedShardKey` read back). */
function shardOfPartition(partition: unknown): { feedId: string; shard: number } {
  const at = String(partition).lastIndexOf('#');
  return { feedId: String(partition).slice(0, at), shard: Number(String(partition).slice(at + 1)) };
}

/** The subscriptions an item holds, in id order: a pack's, or the one of an item from before packs. */
function subscriptionsOf(item: Item): PlacedSubscription[] {
  const { [FEED_SHARD]: partition, [SUBSCRIPTION_ID]: key, ...rest } = item;
  const { feedId, shard } = shardOfPartition(partition);
  if (key === REMOVED) return [];
  if (!isPack(String(key))) {
    return [{ subscription: { feedId, ...rest, id: String(key) } as unknown as Subscription, shard }];
  }
  return Object.keys(rest)
    .sort()
    .map((id) => ({ subscription: unpacked(feedId, id, String(rest[id])), shard, pack: String(key) }));
}
