import { NotFoundError, SinkRefusedError } from '../../../src/application/errors.js';
import { CreateSubscription } from '../../../src/application/use-cases/create-subscription.js';
import { GetFeed } from '../../../src/application/use-cases/get-feed.js';
import { ListFeeds } from '../../../src/application/use-cases/list-feeds.js';
import { ListSubscriptions } from '../../../src/application/use-cases/list-subscriptions.js';
import { RemoveFeed } from '../../../src/application/use-cases/remove-feed.js';
import { Subscribe, type SubscribeInput } from '../../../src/application/use-cases/subscribe.js';
import { Unsubscribe } from '../../../src/application/use-cases/unsubscribe.js';
import type { PagePosition } from '../../../src/domain/cursor.js';
import { InvalidCursorError, InvalidFeedUrlError, InvalidSubscriptionError } from '../../../src/domain/errors.js';
import { feedIdFor } from '../../../src/domain/feed.js';
import { MemorySystem } from '../../support/memory-system.js';
import { aFeed, feedUrl } from '../../support/mothers.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const aWebhook = (feed: string, n: number): SubscribeInput => ({
  feedUrl: feed,
  sink: { kind: 'webhook', url: `https://hooks.example.net/${n}` },
  secret: SECRET,
});

/** Reads every page through `read`, returning the items and how many pages it took. */
async function everyPage<T>(
  read: (after: PagePosition | undefined) => Promise<{ items: readonly T[]; next?: PagePosition }>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let after: PagePosition | undefined;
  let pages = 0;
  do {
    const page = await read(after);
    items.push(...page.items);
    after = page.next;
    pages++;
  } while (after !== undefined && pages < 1000);
  return { items, pages };
}

describe('ListFeeds.page', () => {
  it('fills each page up to the limit although the store answers short pages, and ends without a next', async () => {
    // Prepare: a store whose pages hold at most 2 feeds, whatever the limit.
    const system = new MemorySystem({ pageBudget: (limit) => Math.min(limit, 2) });
    await system.adapters.feeds.addNew(Array.from({ length: 11 }, (_, i) => aFeed(feedUrl(i)).build()));

    // Act
    const first = await system.container.get(ListFeeds).page(5);
    const all = await everyPage((after) => system.container.get(ListFeeds).page(5, after));

    // Assess
    expect(first.items).toHaveLength(5);
    expect(first.next).toBeDefined();
    expect(all.pages).toBe(3);
    expect(new Set(all.items.map((f) => f.id)).size).toBe(11);
  });

  it('answers an empty table with one empty last page', async () => {
    const system = new MemorySystem();

    expect(await system.container.get(ListFeeds).page(10)).toEqual({ items: [] });
  });
});

describe('ListSubscriptions.page', () => {
  it('pages through every shard of a feed, each subscription once', async () => {
    // Prepare: 4 subscribers per shard, so 10 subscriptions spread over 4 shards.
    const system = new MemorySystem({ settings: { subscribersPerShard: 4 } });
    const feed = feedUrl(1);
    await system.container.get(Subscribe).execute(Array.from({ length: 10 }, (_, i) => aWebhook(feed, i)));
    const shards = (await system.adapters.feeds.get(feedIdFor(feed)))!.subscriberShards;

    // Act
    const all = await everyPage((after) => system.container.get(ListSubscriptions).page(feedIdFor(feed), 3, after));

    // Assess
    expect(shards).toBeGreaterThan(1);
    expect(all.items).toHaveLength(10);
    expect(new Set(all.items.map((s) => s.id)).size).toBe(10);
  });

  it('refuses an unknown feed, and a position that is not one of this feed’s', async () => {
    const system = new MemorySystem();
    const feed = feedUrl(1);
    await system.container.get(Subscribe).execute([aWebhook(feed, 1)]);
    const list = system.container.get(ListSubscriptions);

    await expect(list.page(feedIdFor(feedUrl(2)), 10)).rejects.toThrow(NotFoundError);
    await expect(list.page(feedIdFor(feed), 10, { shard: 7 })).rejects.toThrow(InvalidCursorError);
    await expect(list.page(feedIdFor(feed), 10, { shard: 0, id: 'x' })).rejects.toThrow(InvalidCursorError);
  });
});

describe('GetFeed and RemoveFeed', () => {
  it('shows a feed by id, removes it, and then knows it no more', async () => {
    const system = new MemorySystem();
    const feed = aFeed(feedUrl(1)).build();
    await system.adapters.feeds.addNew([feed]);

    const shown = await system.container.get(GetFeed).execute(feed.id);
    await system.container.get(RemoveFeed).execute(feed.id);

    expect(shown).toEqual(feed);
    expect(await system.adapters.feeds.get(feed.id)).toBeUndefined();
    await expect(system.container.get(GetFeed).execute(feed.id)).rejects.toThrow(NotFoundError);
    await expect(system.container.get(RemoveFeed).execute(feed.id)).rejects.toThrow(NotFoundError);
  });
});

describe('Unsubscribe', () => {
  it('ends a subscription, which stays stored as ended; ending it again changes nothing', async () => {
    const system = new MemorySystem();
    const { subscriptions } = await system.container.get(Subscribe).execute([aWebhook(feedUrl(1), 1)]);
    const subscription = subscriptions[0]!;

    await system.container.get(Unsubscribe).execute(subscription.feedId, subscription.id);
    await system.container.get(Unsubscribe).execute(subscription.feedId, subscription.id);

    expect(await system.adapters.subscriptions.get(subscription.feedId, subscription.id)).toMatchObject({
      status: 'ended',
    });
  });

  it('refuses a subscription it does not know', async () => {
    const system = new MemorySystem();

    await expect(
      system.container.get(Unsubscribe).execute(feedIdFor(feedUrl(1)), '0123456789abcdef01234567'),
    ).rejects.toThrow(NotFoundError);
  });
});

describe('CreateSubscription', () => {
  it('subscribes a sink, adding its feed; a second time it reports the active one, not created', async () => {
    const system = new MemorySystem();

    const first = await system.container.get(CreateSubscription).execute(aWebhook(feedUrl(1), 1));
    const again = await system.container
      .get(CreateSubscription)
      .execute({ ...aWebhook(feedUrl(1), 1), secret: `${SECRET}x` });

    expect(first.created).toBe(true);
    expect(again).toEqual({ subscription: first.subscription, created: false });
    expect(await system.adapters.feeds.get(feedIdFor(feedUrl(1)))).toBeDefined();
  });

  it('subscribes again a sink whose subscription had ended', async () => {
    const system = new MemorySystem();
    const { subscription } = await system.container.get(CreateSubscription).execute(aWebhook(feedUrl(1), 1));
    await system.container.get(Unsubscribe).execute(subscription.feedId, subscription.id);

    const again = await system.container.get(CreateSubscription).execute(aWebhook(feedUrl(1), 1));

    expect(again.created).toBe(true);
    expect(await system.adapters.subscriptions.get(subscription.feedId, subscription.id)).toMatchObject({
      status: 'active',
    });
  });

  it('refuses a sink the address policy refuses, before anything is written', async () => {
    const system = new MemorySystem();
    system.adapters.sinkAddresses.refuseHost('hooks.example.net');

    await expect(system.container.get(CreateSubscription).execute(aWebhook(feedUrl(1), 1))).rejects.toThrow(
      SinkRefusedError,
    );
    expect(await system.adapters.feeds.get(feedIdFor(feedUrl(1)))).toBeUndefined();
  });

  it('subscribes many at once, each in order, created or found; a second time none is created', async () => {
    const system = new MemorySystem();
    const inputs = [aWebhook(feedUrl(1), 1), aWebhook(feedUrl(2), 2), aWebhook(feedUrl(1), 3)];

    const first = await system.container.get(CreateSubscription).executeMany(inputs);
    const again = await system.container.get(CreateSubscription).executeMany(inputs);

    expect(first.created?.map((c) => [c.subscription.sink.url, c.created])).toEqual([
      ['https://hooks.example.net/1', true],
      ['https://hooks.example.net/2', true],
      ['https://hooks.example.net/3', true],
    ]);
    expect(again.created?.map((c) => c.created)).toEqual([false, false, false]);
  });

  it('answers the inputs of every refused sink when subscribing many, and writes nothing', async () => {
    const system = new MemorySystem();
    system.adapters.sinkAddresses.refuseHost('intranet.example');
    const inputs = [
      aWebhook(feedUrl(1), 1),
      { ...aWebhook(feedUrl(2), 2), sink: { kind: 'webhook', url: 'https://intranet.example/a' } } as const,
      aWebhook(feedUrl(3), 3),
      { ...aWebhook(feedUrl(4), 4), sink: { kind: 'webhook', url: 'https://intranet.example/b' } } as const,
    ];

    const result = await system.container.get(CreateSubscription).executeMany(inputs);

    expect(result.refused?.map((r) => r.index)).toEqual([1, 3]);
    expect(result.refused?.[0]?.reason).toBeTruthy();
    for (const n of [1, 2, 3, 4]) expect(await system.adapters.feeds.get(feedIdFor(feedUrl(n)))).toBeUndefined();
  });

  it('refuses a bad feed URL or sink before asking the address policy', async () => {
    const system = new MemorySystem();
    const create = system.container.get(CreateSubscription);

    await expect(create.execute({ ...aWebhook('not a url', 1) })).rejects.toThrow(InvalidFeedUrlError);
    await expect(create.execute({ ...aWebhook(feedUrl(1), 1), secret: 'nope' })).rejects.toThrow(
      InvalidSubscriptionError,
    );
  });
});
