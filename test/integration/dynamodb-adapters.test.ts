import { DescribeTableCommand, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { TABLES, type TableName } from '../../src/adapters/aws-resources.js';
import { DynamoDbArticleStore } from '../../src/adapters/dynamodb/dynamodb-article-store.js';
import { DynamoDbDataKeyRing } from '../../src/adapters/dynamodb/dynamodb-data-key-ring.js';
import { dataKeyIdOf } from '../../src/adapters/kms/data-key-ring.js';
import { createDocumentClient } from '../../src/adapters/dynamodb/dynamodb-tables.js';
import { DynamoDbFeedStore } from '../../src/adapters/dynamodb/dynamodb-feed-store.js';
import { DynamoDbHostPoliteness } from '../../src/adapters/dynamodb/dynamodb-host-politeness.js';
import { DynamoDbRunStore } from '../../src/adapters/dynamodb/dynamodb-run-store.js';
import { DynamoDbStepLedger, STEP_RETENTION_SECONDS } from '../../src/adapters/dynamodb/dynamodb-step-ledger.js';
import { packLevelFor, packPlaceOf } from '../../src/domain/subscription.js';
import { DynamoDbSubscriptionStore } from '../../src/adapters/dynamodb/dynamodb-subscription-store.js';
import type { TableNames } from '../../src/adapters/dynamodb/dynamodb-tables.js';
import { createTables } from '../../src/entrypoints/local/create-tables.js';
import { StoreRequestError } from '../../src/adapters/dynamodb/errors.js';
import { batchGetAll, batchWriteAll } from '../../src/adapters/dynamodb/requests.js';
import { DEFAULT_RETENTION } from '../../src/adapters/dynamodb/tokens.js';
import { InvalidCursorError } from '../../src/domain/errors.js';
import { describeArticleStoreContract } from '../contract/article-store.contract.js';
import { describeDataKeyRingContract } from '../contract/data-key-ring.contract.js';
import { describeFeedStoreContract } from '../contract/feed-store.contract.js';
import { describeHostPolitenessContract } from '../contract/host-politeness.contract.js';
import { anArticle, aFeedRecord, aSubscriptionRecord, T0, uniqueId } from '../support/mothers.js';
import { describeRunStoreContract } from '../contract/run-store.contract.js';
import { describeStepLedgerContract } from '../contract/step-ledger.contract.js';
import { describeSubscriptionStoreContract } from '../contract/subscription-store.contract.js';
import { freshStack, startDynalite, type LocalDynamo } from './support/dynalite.js';
import { AwsRequestCounter, countRequests } from '../../src/entrypoints/local/aws-request-counter.js';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

/** Fresh tables under a prefix of their own, so that every test starts empty. */
async function freshTables(only?: readonly TableName[]): Promise<TableNames> {
  return (await freshStack(dynamo, only)).names;
}

/** A document client that lets `intercept` act on a command before (or instead of) sending it. */
function intercepting(
  intercept: (command: object, send: (command: object) => Promise<unknown>) => Promise<unknown>,
): DynamoDBDocumentClient {
  const send = (command: object): Promise<unknown> => dynamo.doc.send(command as PutCommand);
  return { send: (command: object) => intercept(command, send) } as unknown as DynamoDBDocumentClient;
}

const options = { numRuns: 15 };
describeFeedStoreContract(
  'DynamoDbFeedStore',
  async () => new DynamoDbFeedStore(dynamo.doc, await freshTables(['feeds'])),
  options,
);
describeSubscriptionStoreContract(
  'DynamoDbSubscriptionStore',
  async () => new DynamoDbSubscriptionStore(dynamo.doc, await freshTables(['subscriptions'])),
  options,
);
describeArticleStoreContract(
  'DynamoDbArticleStore',
  async () => new DynamoDbArticleStore(dynamo.doc, await freshTables(['articles']), DEFAULT_RETENTION),
  options,
);
describeStepLedgerContract(
  'DynamoDbStepLedger',
  async () => new DynamoDbStepLedger(dynamo.doc, await freshTables(['steps'])),
);
describeDataKeyRingContract(
  'DynamoDbDataKeyRing',
  async () => new DynamoDbDataKeyRing(dynamo.doc, await freshTables(['subscriptions'])),
);
describeRunStoreContract(
  'DynamoDbRunStore',
  async () => new DynamoDbRunStore(dynamo.doc, await freshTables(['runs']), DEFAULT_RETENTION),
  options,
);

describeHostPolitenessContract(
  'DynamoDbHostPoliteness',
  async () => new DynamoDbHostPoliteness(dynamo.doc, await freshTables(['steps'])),
);

describe('createTables', () => {
  it('creates every table of TABLES, active, with the key schema of its definition, and may run again', async () => {
    const { prefix, names } = await freshStack(dynamo);

    await createTables(dynamo.client, names);

    for (const [key, definition] of Object.entries(TABLES)) {
      const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: names[key as TableName] }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: definition.partitionKey, KeyType: 'HASH' },
        ...('sortKey' in definition ? [{ AttributeName: definition.sortKey, KeyType: 'RANGE' }] : []),
      ]);
    }
    expect(names.feeds).toBe(`${prefix}feeds`);
  });
});

describe('DynamoDbFeedStore', () => {
  it("hands out the Scan's LastEvaluatedKey as the page position", async () => {
    const store = new DynamoDbFeedStore(dynamo.doc, await freshTables(['feeds']));
    await store.addNew([aFeedRecord(), aFeedRecord()]);

    const page = await store.readPage(undefined, 1);

    expect(page.next).toEqual({ feedId: page.items[0]!.id });
  });

  it('refuses a foreign page position as an invalid cursor, before asking DynamoDB', async () => {
    const store = new DynamoDbFeedStore(dynamo.doc, await freshTables(['feeds']));

    await expect(store.readPage({ id: 'x' }, 5)).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.readPage({ feedId: 'x', other: 'y' }, 5)).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('stores the recent-article set as binary, half its hex, and gives it back as hex', async () => {
    const names = await freshTables(['feeds']);
    const store = new DynamoDbFeedStore(dynamo.doc, names);
    const feed = aFeedRecord({ seen: '0123456789ab'.repeat(3) });
    await store.addNew([feed]);
    const seen = 'fedcba987654'.repeat(256);

    await store.commit(feed.id, 0, {
      url: feed.url,
      nextFetchAt: feed.nextFetchAt,
      status: 'active',
      errorCount: 0,
      seen,
    });

    const { Item } = await dynamo.doc.send(new GetCommand({ TableName: names.feeds, Key: { feedId: feed.id } }));
    expect(Item?.seen).toBeInstanceOf(Uint8Array);
    expect((Item?.seen as Uint8Array).length).toBe(seen.length / 2);
    expect((await store.get(feed.id))?.seen).toBe(seen);
    expect((await store.readPage(undefined, 10)).items[0]?.seen).toBe(seen);
  });

  it('reads a recent-article set stored as a string (before it was binary) as it is', async () => {
    const names = await freshTables(['feeds']);
    const store = new DynamoDbFeedStore(dynamo.doc, names);
    const feed = aFeedRecord();
    await dynamo.doc.send(
      new PutCommand({
        TableName: names.feeds,
        Item: { ...feed, id: undefined, feedId: feed.id, seen: 'abcdef012345' },
      }),
    );

    expect((await store.get(feed.id))?.seen).toBe('abcdef012345');
  });
});

describe('DynamoDbSubscriptionStore', () => {
  it("refuses the page position of another feed's or another shard's subscribers", async () => {
    const store = new DynamoDbSubscriptionStore(dynamo.doc, await freshTables(['subscriptions']));
    const feedId = uniqueId('feed');
    await store.add(aSubscriptionRecord({ feedId }));
    await store.add(aSubscriptionRecord({ feedId }));
    const { next } = await store.readPage(feedId, 0, undefined, 1);

    await expect(store.readPage(uniqueId('feed'), 0, next, 1)).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.readPage(feedId, 1, next, 1)).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('stores subscriptions without id or feed, in packs or on their own, and reads items that kept the feed', async () => {
    const names = await freshTables(['subscriptions']);
    const store = new DynamoDbSubscriptionStore(dynamo.doc, names);
    const feedId = uniqueId('feed');
    const packed = [aSubscriptionRecord({ feedId }), aSubscriptionRecord({ feedId })];
    const [single, older] = [aSubscriptionRecord({ feedId }), aSubscriptionRecord({ feedId })];
    await store.putMany(
      packed.map((subscription) => ({ subscription, ...packPlaceOf(subscription.id, 1, 2) })),
      { newPacks: true },
    );
    await store.add(single);
    // Older items held the feed's id too.
    const { id: olderId, ...olderFields } = older;
    await dynamo.doc.send(
      new PutCommand({
        TableName: names.subscriptions,
        Item: { ...olderFields, feedShard: `${feedId}#0`, subscriptionId: olderId },
      }),
    );

    const { Items } = await dynamo.doc.send(
      new QueryCommand({
        TableName: names.subscriptions,
        KeyConditionExpression: 'feedShard = :partition',
        ExpressionAttributeValues: { ':partition': `${feedId}#0` },
      }),
    );
    const { id: _id, feedId: _feedId, ...held } = packed[0]!;
    expect(Items!.map((item) => item.subscriptionId)).toEqual(['#p00.0000', ...[single.id, olderId].sort()]);
    expect(Object.keys(Items![0]!).sort()).toEqual(['feedShard', 'subscriptionId', ...packed.map((s) => s.id)].sort());
    expect(JSON.parse(String(Items![0]![packed[0]!.id]))).toEqual(held);
    expect(Items!.find((item) => item.subscriptionId === single.id)).not.toHaveProperty('feedId');

    await store.end(feedId, single.id);
    const [placed] = await store.findMany(feedId, [olderId]);
    const rotated = await store.rotateSecret(
      { ...placed!, subscription: { ...older, secret: 'sealed-9' } },
      older.secret!,
    );

    expect(placed!.pack).toBeUndefined();
    expect(rotated).toBe(true);
    expect(await store.get(feedId, single.id)).toEqual({ ...single, status: 'ended' });
    expect(await store.get(feedId, olderId)).toEqual({ ...older, secret: 'sealed-9' });
    expect((await store.readPage(feedId, 0, undefined, 10)).items.map((s) => s.id)).toEqual([
      ...packed.map((s) => s.id).sort(),
      ...[single.id, olderId].sort(),
    ]);
  });
  it('ends a subscription inside a pack with only what deliver is granted: BatchGetItem, then UpdateItem', async () => {
    const names = await freshTables(['subscriptions']);
    const feedId = uniqueId('feed');
    const packed = [aSubscriptionRecord({ feedId }), aSubscriptionRecord({ feedId })];
    await new DynamoDbSubscriptionStore(dynamo.doc, names).putMany(
      packed.map((subscription) => ({ subscription, ...packPlaceOf(subscription.id, 1, 2) })),
      { newPacks: true },
    );
    const sent: string[] = [];
    const doc = intercepting(async (command, send) => {
      sent.push(command.constructor.name);
      return send(command);
    });
    const store = new DynamoDbSubscriptionStore(doc, names);

    await store.end(feedId, packed[0]!.id);

    expect(new Set(sent)).toEqual(new Set(['BatchGetCommand', 'UpdateCommand']));
    expect(await store.get(feedId, packed[0]!.id)).toEqual({ ...packed[0], status: 'ended' });
    expect(await store.get(feedId, packed[1]!.id)).toEqual(packed[1]);
  });

  it("looks up a packed feed's subscriptions by its layout: its packs' keys only, no Query of each shard", async () => {
    const names = await freshTables(['subscriptions']);
    const feedId = uniqueId('feed');
    const imported = Array.from({ length: 200 }, () => aSubscriptionRecord({ feedId }));
    await new DynamoDbSubscriptionStore(dynamo.doc, names).putMany(
      imported.map((subscription) => ({ subscription, ...packPlaceOf(subscription.id, 1, 200) })),
      { newPacks: true },
    );
    const sent: { name: string; keys: number }[] = [];
    const doc = intercepting(async (command, send) => {
      const input = (command as BatchGetCommand).input;
      const keys = Object.values(input.RequestItems ?? {}).reduce((n, table) => n + (table.Keys?.length ?? 0), 0);
      sent.push({ name: command.constructor.name, keys });
      return send(command);
    });
    const store = new DynamoDbSubscriptionStore(doc, names);
    const ids = imported.map((s) => s.id);

    const found = await store.findMany(feedId, ids, 1, { packLevel: packLevelFor(1, 200), unpacked: false });

    expect(found.map((p) => p.subscription.id)).toEqual(ids);
    // 200 subscriptions in 4 packs (level 2): four keys in one BatchGetItem, against 200 ids and their packs.
    expect(sent).toEqual([{ name: 'BatchGetCommand', keys: 4 }]);
  });

  it('fills a page to its limit from packs and then from subscriptions of their own', async () => {
    const names = await freshTables(['subscriptions']);
    const store = new DynamoDbSubscriptionStore(dynamo.doc, names);
    const feedId = uniqueId('feed');
    const imported = Array.from({ length: 100 }, () => aSubscriptionRecord({ feedId }));
    const added = Array.from({ length: 300 }, () => aSubscriptionRecord({ feedId }));
    await store.putMany(
      imported.map((subscription) => ({ subscription, ...packPlaceOf(subscription.id, 1, 100) })),
      { newPacks: true },
    );
    await store.putMany(added.map((subscription) => ({ subscription, shard: 0 })));

    const first = await store.readPage(feedId, 0, undefined, 250);
    const second = await store.readPage(feedId, 0, first.next, 250);

    expect([first.items.length, second.items.length]).toEqual([250, 150]);
    expect(second.next).toBeUndefined();
    expect([...first.items, ...second.items].map((s) => s.id).sort()).toEqual(
      [...imported, ...added].map((s) => s.id).sort(),
    );
  });
});

describe('DynamoDbArticleStore', () => {
  const stored = (feedId: string, n: number) =>
    Array.from({ length: n }, () => ({
      ...anArticle(),
      feedId,
      firstSeenAt: T0.toISOString(),
      firstSeenRunId: 'run-1',
    }));

  it('writes a discovery of 100 articles with one request and reads it with one Query', async () => {
    const names = await freshTables(['articles']);
    const feedId = uniqueId('feed');
    const articles = stored(feedId, 100);
    const sent: string[] = [];
    const doc = intercepting(async (command, send) => {
      sent.push(command.constructor.name);
      return send(command);
    });
    const store = new DynamoDbArticleStore(doc, names, DEFAULT_RETENTION);

    await store.putDiscovery(feedId, 'evt-1', articles);
    const read = await store.getDiscovery(feedId, 'evt-1');

    expect(sent).toEqual(['BatchWriteCommand', 'QueryCommand']);
    expect(read.map((a) => a.id)).toEqual(articles.map((a) => a.id));
  });

  it('writes the discoveries stored at the same time, of any feeds, with one request between them', async () => {
    const names = await freshTables(['articles']);
    const feeds = Array.from({ length: 10 }, () => uniqueId('feed'));
    const sent: string[] = [];
    const doc = intercepting(async (command, send) => {
      sent.push(command.constructor.name);
      return send(command);
    });
    const store = new DynamoDbArticleStore(doc, names, DEFAULT_RETENTION);

    await Promise.all(feeds.map((feedId) => store.putDiscovery(feedId, 'evt-1', stored(feedId, 20))));

    expect(sent).toEqual(['BatchWriteCommand']);
    for (const feedId of feeds) expect(await store.getDiscovery(feedId, 'evt-1')).toHaveLength(20);
  });

  it('writes an expiry time (TTL) on a discovery: its first sighting plus the retention', async () => {
    const names = await freshTables(['articles']);
    const feedId = uniqueId('feed');
    const store = new DynamoDbArticleStore(dynamo.doc, names, { ...DEFAULT_RETENTION, articleSeconds: 3600 });

    await store.putDiscovery(feedId, 'evt-1', stored(feedId, 1));

    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: names.articles, Key: { feedId, part: 'd#evt-1#0' } }),
    );
    expect(Item?.expiresAt).toBe(T0.getTime() / 1000 + 3600);
    expect((await store.getDiscovery(feedId, 'evt-1'))[0]).not.toHaveProperty('expiresAt');
  });

  it('stores a discovery as one gzipped JSON body, a fraction of the bytes (and write units) of its articles', async () => {
    const names = await freshTables(['articles']);
    const feedId = uniqueId('feed');
    const store = new DynamoDbArticleStore(dynamo.doc, names, DEFAULT_RETENTION);
    const articles = stored(feedId, 20);

    await store.putDiscovery(feedId, 'evt-1', articles);

    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: names.articles, Key: { feedId, part: 'd#evt-1#0' } }),
    );
    expect(Item).not.toHaveProperty('articles');
    const body = Item?.articlesGzip as Uint8Array;
    expect(body).toBeInstanceOf(Uint8Array);
    expect(body.length).toBeLessThan(JSON.stringify(articles).length / 2);
    expect(await store.getDiscovery(feedId, 'evt-1')).toEqual(articles);
  });

  it('still reads a discovery stored before bodies were compressed (its articles as a list of maps)', async () => {
    const names = await freshTables(['articles']);
    const feedId = uniqueId('feed');
    const store = new DynamoDbArticleStore(dynamo.doc, names, DEFAULT_RETENTION);
    const [first, second] = [stored(feedId, 2), stored(feedId, 1)];
    await dynamo.doc.send(
      new PutCommand({ TableName: names.articles, Item: { feedId, part: 'd#evt-old#0', articles: first } }),
    );
    await dynamo.doc.send(
      new PutCommand({ TableName: names.articles, Item: { feedId, part: 'd#evt-old#1', articles: second } }),
    );

    expect(await store.getDiscovery(feedId, 'evt-old')).toEqual([...first, ...second]);
  });
});

describe('AwsRequestCounter on a DynamoDB client', () => {
  it('counts the capacity units each request consumes, by item size, beside the requests', async () => {
    const names = await freshTables(['articles']);
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const counter = new AwsRequestCounter();
    countRequests(client.middlewareStack, counter);
    const doc = createDocumentClient(client);
    const Key = { feedId: 'f', part: 'p' };

    try {
      await doc.send(new PutCommand({ TableName: names.articles, Item: { ...Key, text: 'not metered' } }));
      counter.meterCapacity(true);
      await doc.send(new PutCommand({ TableName: names.articles, Item: { ...Key, text: 'x'.repeat(2500) } }));
      await doc.send(new GetCommand({ TableName: names.articles, Key, ConsistentRead: true }));
      await doc.send(new PutCommand({ TableName: names.articles, Item: { ...Key, text: 'small' } }));
    } finally {
      client.destroy();
    }

    // 2.5 KB: 3 write units; overwritten by a small item: the larger of old and new; a consistent read: 1 unit.
    expect(counter.capacityUnits()).toEqual({ [names.articles]: { read: 1, write: 6 } });
    expect(counter.snapshot().byOperation).toEqual({ 'dynamodb.GetItem': 1, 'dynamodb.PutItem': 3 });
    counter.reset();
    expect(counter.capacityUnits()).toEqual({});
  });
});

describe('batched DynamoDB requests', () => {
  const items = (n: number) => Array.from({ length: n }, () => ({ feedId: 'f', part: uniqueId('item') }));

  it('retries the items a batch write left unprocessed', async () => {
    const names = await freshTables(['articles']);
    const written = items(60);
    // Every other batch write leaves the second half of its items unprocessed.
    let writes = 0;
    const doc = intercepting(async (command, send) => {
      if (!(command instanceof BatchWriteCommand) || ++writes % 2 === 0) return send(command);
      const requests = command.input.RequestItems![names.articles]!;
      const half = Math.ceil(requests.length / 2);
      const out = (await send(
        new BatchWriteCommand({ RequestItems: { [names.articles]: requests.slice(0, half) } }),
      )) as object;
      return { ...out, UnprocessedItems: { [names.articles]: requests.slice(half) } };
    });

    await batchWriteAll(doc, names.articles, written);

    const read = await batchGetAll(dynamo.doc, names.articles, written, { consistentRead: true });
    expect(read.map((item) => item.part).sort()).toEqual(written.map((item) => item.part).sort());
  });

  it('retries the keys a batch read left unprocessed', async () => {
    const names = await freshTables(['articles']);
    const written = items(150);
    await batchWriteAll(dynamo.doc, names.articles, written);
    // Every other batch read answers only the first half of its keys and leaves the rest unprocessed.
    let reads = 0;
    const doc = intercepting(async (command, send) => {
      if (!(command instanceof BatchGetCommand) || ++reads % 2 === 0) return send(command);
      const request = command.input.RequestItems![names.articles]!;
      const keys = request.Keys!;
      const half = Math.ceil(keys.length / 2);
      const out = (await send(
        new BatchGetCommand({ RequestItems: { [names.articles]: { ...request, Keys: keys.slice(0, half) } } }),
      )) as object;
      return { ...out, UnprocessedKeys: { [names.articles]: { ...request, Keys: keys.slice(half) } } };
    });

    const read = await batchGetAll(doc, names.articles, written, { consistentRead: true });

    expect(read.map((item) => item.part).sort()).toEqual(written.map((item) => item.part).sort());
  });
  it('reports a failed request as a StoreRequestError that keeps the SDK error as its cause', async () => {
    const names = await freshTables(['articles']);
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    const store = new DynamoDbArticleStore(
      intercepting(async () => {
        throw throttled;
      }),
      names,
      DEFAULT_RETENTION,
    );

    const failure = store.getDiscovery('feed', 'evt');

    await expect(failure).rejects.toBeInstanceOf(StoreRequestError);
    await expect(failure).rejects.toMatchObject({ code: 'store_request_failed', cause: throttled });
  });
});

/** Queries that return at most two items a page, as a table past DynamoDB's 1 MB page would. */
const smallQueryPages = (): DynamoDBDocumentClient =>
  intercepting((command, send) =>
    send(command instanceof QueryCommand ? new QueryCommand({ ...command.input, Limit: 2 }) : command),
  );

describe('DynamoDbStepLedger', () => {
  it('lists the completed steps of a chain across every page', async () => {
    const ledger = new DynamoDbStepLedger(smallQueryPages(), await freshTables(['steps']));
    const prefix = `relay#${uniqueId('chain')}#`;
    for (let page = 0; page < 7; page++) {
      const step = `${prefix}${String(page).padStart(9, '0')}`;
      await ledger.claim(step, 'owner', 30, T0);
      if (page !== 3) await ledger.complete(step, 'owner', { page });
    }

    const records = await ledger.completed(prefix);

    expect(records.map((record) => record.page).sort()).toEqual([0, 1, 2, 4, 5, 6]);
  });

  it('stores a step under its chain and step, expiring two weeks after the claim', async () => {
    const names = await freshTables(['steps']);
    const ledger = new DynamoDbStepLedger(dynamo.doc, names);

    await ledger.claim('relay#run-1#000000004', 'owner-a', 30, T0);

    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: names.steps, Key: { chain: 'relay#run-1', step: '000000004' } }),
    );
    expect(Item).toMatchObject({ state: 'claimed', owner: 'owner-a', leaseUntil: T0.getTime() + 30_000 });
    expect(Item?.expiresAt).toBe(T0.getTime() / 1000 + STEP_RETENTION_SECONDS);
  });

  it('refuses a step id without a chain', async () => {
    const ledger = new DynamoDbStepLedger(dynamo.doc, await freshTables(['steps']));

    await expect(ledger.claim('no-chain', 'owner-a', 30, T0)).rejects.toThrow(RangeError);
  });
});

describe('DynamoDbDataKeyRing', () => {
  it('keeps a data key in the keyring partition of the subscriptions table, with no expiry, beside the subscriptions', async () => {
    // Prepare
    const names = await freshTables(['subscriptions']);
    const ring = new DynamoDbDataKeyRing(dynamo.doc, names);
    const subscriptions = new DynamoDbSubscriptionStore(dynamo.doc, names);
    const subscription = aSubscriptionRecord();
    const encryptedKey = Buffer.from('an encrypted data key, as KMS returns it');
    const keyId = dataKeyIdOf(encryptedKey);

    // Act
    await ring.keep(keyId, encryptedKey);
    await subscriptions.add(subscription);

    // Assess
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: names.subscriptions, Key: { feedShard: 'keyring', subscriptionId: keyId } }),
    );
    expect(Item).toEqual({ feedShard: 'keyring', subscriptionId: keyId, encryptedKey: new Uint8Array(encryptedKey) });
    expect(Item).not.toHaveProperty('expiresAt');
    expect(Buffer.from((await ring.find(keyId))!)).toEqual(encryptedKey);
    const page = await subscriptions.readPage(subscription.feedId, 0, undefined, 100);
    expect(page.items.map((s) => s.id)).toEqual([subscription.id]);
  });

  it('writes a data key with one conditional PutItem and reads it with one consistent GetItem', async () => {
    // Prepare
    const sent: object[] = [];
    const doc = intercepting((command, send) => {
      sent.push(command);
      return send(command);
    });
    const ring = new DynamoDbDataKeyRing(doc, await freshTables(['subscriptions']));
    const encryptedKey = Buffer.from('another encrypted data key');
    const keyId = dataKeyIdOf(encryptedKey);

    // Act
    await ring.keep(keyId, encryptedKey);
    await ring.find(keyId);

    // Assess
    expect(sent).toHaveLength(2);
    expect(sent[0]).toBeInstanceOf(PutCommand);
    expect((sent[0] as PutCommand).input.ConditionExpression).toMatch(/attribute_not_exists/);
    expect(sent[1]).toBeInstanceOf(GetCommand);
    expect((sent[1] as GetCommand).input.ConsistentRead).toBe(true);
  });
});
