import { InMemoryFeedStore } from '../../../src/adapters/memory/in-memory-feed-store.js';
import type { SecretCipher } from '../../../src/application/ports/secret-cipher.port.js';
import { TOKENS } from '../../../src/application/tokens.js';
import { RemoveFeeds } from '../../../src/application/use-cases/remove-feeds.js';
import { Subscribe, type SubscribeInput } from '../../../src/application/use-cases/subscribe.js';
import { InvalidSubscriptionError } from '../../../src/domain/errors.js';
import { packLevelFor } from '../../../src/domain/subscription.js';
import { feedIdFor, type Feed } from '../../../src/domain/feed.js';
import { MemorySystem } from '../../support/memory-system.js';
import { feedUrl } from '../../support/mothers.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const lines = (url: string, from: number, count: number, secret = SECRET): SubscribeInput[] =>
  Array.from({ length: count }, (_, i) => ({
    feedUrl: url,
    sink: { kind: 'webhook', url: `https://hooks.example.net/${from + i}` },
    secret,
  }));

/** A cipher whose key service cannot be reached: nothing can be sealed or opened. */
class UnreachableCipher implements SecretCipher {
  seal(): Promise<string> {
    return Promise.reject(new Error('the key service cannot be reached'));
  }
  open(): Promise<string> {
    return Promise.reject(new Error('the key service cannot be reached'));
  }
}

/** A feed table that cannot take one feed for now (throttled, say): adding it fails, every other feed is added. */
class RefusingFeedStore extends InMemoryFeedStore {
  constructor(public refused: string | undefined) {
    super();
  }

  override async addNew(feeds: readonly Feed[]): Promise<Feed[]> {
    if (feeds.some((feed) => feed.id === this.refused)) throw new Error(`feed ${this.refused} was throttled`);
    return super.addNew(feeds);
  }
}

async function everySubscriberOf(system: MemorySystem, url: string): Promise<string[]> {
  const feed = await system.adapters.feeds.get(feedIdFor(url));
  const ids: string[] = [];
  for (let shard = 0; shard < (feed?.subscriberShards ?? 1); shard++) {
    ids.push(
      ...(await system.adapters.subscriptions.readPage(feedIdFor(url), shard, undefined, 1000)).items.map((s) => s.id),
    );
  }
  return ids;
}

describe('Subscribe', () => {
  it('imports many subscriptions of many feeds, adding the feeds and counting each feed’s subscribers', async () => {
    // Prepare
    const system = new MemorySystem();
    const inputs = [...lines(feedUrl(1), 0, 30), ...lines(feedUrl(2), 100, 5)];

    // Act
    const result = await system.container.get(Subscribe).execute(inputs);

    // Assess
    expect(result.created).toBe(35);
    expect(result.subscriptions).toHaveLength(35);
    expect(await everySubscriberOf(system, feedUrl(1))).toHaveLength(30);
    expect(await everySubscriberOf(system, feedUrl(2))).toHaveLength(5);
    expect(await system.adapters.feeds.get(feedIdFor(feedUrl(1)))).toMatchObject({ subscribers: 30 });
  });

  it('stores each webhook secret sealed, opening only for its own subscription', async () => {
    // Prepare
    const system = new MemorySystem();

    // Act
    const { subscriptions } = await system.container.get(Subscribe).execute(lines(feedUrl(1), 0, 2));

    // Assess
    const [first, second] = await Promise.all(
      subscriptions.map((s) => system.adapters.subscriptions.get(s.feedId, s.id)),
    );
    expect(first!.secret).not.toContain(SECRET);
    expect(first!.secret).toMatch(/^fr1\.local\./);
    expect(await system.adapters.cipher.open(first!.secret!, first!.id)).toBe(SECRET);
    await expect(system.adapters.cipher.open(first!.secret!, second!.id)).rejects.toThrow(/does not open/);
  });

  it('subscribes an SQS queue without a secret, and refuses a secret for one', async () => {
    // Prepare
    const system = new MemorySystem();
    const queue = 'https://sqs.eu-west-1.amazonaws.com/123456789012/articles';

    // Act
    const { subscriptions } = await system.container
      .get(Subscribe)
      .execute([{ feedUrl: feedUrl(1), sink: { kind: 'sqs', url: queue } }]);
    const withSecret = system.container
      .get(Subscribe)
      .execute([{ feedUrl: feedUrl(2), sink: { kind: 'sqs', url: queue }, secret: SECRET }]);

    // Assess
    const stored = await system.adapters.subscriptions.get(subscriptions[0]!.feedId, subscriptions[0]!.id);
    expect(stored).toMatchObject({ sink: { kind: 'sqs', url: queue }, status: 'active' });
    expect(stored).not.toHaveProperty('secret');
    await expect(withSecret).rejects.toThrow(/a secret signs webhooks only/);
  });

  it('writes nothing when one line of a bulk import is bad', async () => {
    // Prepare
    const system = new MemorySystem();
    const inputs = [
      ...lines(feedUrl(1), 0, 10),
      ...lines(feedUrl(1), 10, 1, 'not-a-secret'),
      ...lines(feedUrl(2), 0, 3),
    ];

    // Act
    const importing = system.container.get(Subscribe).execute(inputs);

    // Assess
    await expect(importing).rejects.toThrow(InvalidSubscriptionError);
    expect(await system.adapters.feeds.get(feedIdFor(feedUrl(1)))).toBeUndefined();
    expect(await everySubscriberOf(system, feedUrl(1))).toEqual([]);
  });

  it('never replaces an active subscription, and renews an ended one in its shard', async () => {
    // Prepare
    const system = new MemorySystem();
    const subscribe = system.container.get(Subscribe);
    const first = await subscribe.execute(lines(feedUrl(1), 0, 3));
    const [kept, ended] = first.subscriptions;
    await system.adapters.subscriptions.end(ended!.feedId, ended!.id);
    system.adapters.clock.advance(60);

    // Act
    const again = await subscribe.execute(lines(feedUrl(1), 0, 4, 'whsec_b3RoZXJzZWNyZXQ='));

    // Assess
    expect(again.created).toBe(2);
    expect(await system.adapters.subscriptions.get(kept!.feedId, kept!.id)).toEqual(kept);
    const renewed = await system.adapters.subscriptions.get(ended!.feedId, ended!.id);
    expect(renewed).toMatchObject({ status: 'active' });
    expect(await system.adapters.cipher.open(renewed!.secret!, renewed!.id)).toBe('whsec_b3RoZXJzZWNyZXQ=');
    expect(await everySubscriberOf(system, feedUrl(1))).toHaveLength(4);
    expect(await system.adapters.feeds.get(feedIdFor(feedUrl(1)))).toMatchObject({ subscribers: 4 });
  });

  it('creates a new feed already counting its subscribers, spread over the shards that count needs', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { subscribersPerShard: 10 } });
    const inputs = [...lines(feedUrl(1), 0, 35), ...lines(feedUrl(1), 0, 5)];

    // Act
    const result = await system.container.get(Subscribe).execute(inputs);

    // Assess
    expect(result.created).toBe(35);
    expect(result.createdIds.size).toBe(35);
    expect(await system.adapters.feeds.get(feedIdFor(feedUrl(1)))).toMatchObject({
      subscribers: 35,
      subscriberShards: 4,
    });
    const stored = await everySubscriberOf(system, feedUrl(1));
    expect(stored).toHaveLength(35);
    expect(new Set(stored).size).toBe(35);
  });

  it('stores a subscription named on two lines once, with the secret of the later line', async () => {
    // Prepare
    const system = new MemorySystem();
    const later = 'whsec_bGF0ZXJzZWNyZXQ=';
    const inputs = [...lines(feedUrl(1), 0, 2), ...lines(feedUrl(1), 1, 1, later)];

    // Act
    const result = await system.container.get(Subscribe).execute(inputs);

    // Assess
    expect(result.created).toBe(2);
    const stored = await system.adapters.subscriptions.get(
      result.subscriptions[2]!.feedId,
      result.subscriptions[2]!.id,
    );
    expect(await system.adapters.cipher.open(stored!.secret!, stored!.id)).toBe(later);
    expect(result.subscriptions[1]).toEqual(stored);
    expect(await everySubscriberOf(system, feedUrl(1))).toHaveLength(2);
    expect(await system.adapters.feeds.get(feedIdFor(feedUrl(1)))).toMatchObject({ subscribers: 2 });
  });

  it('imports again without creating anything: the subscriptions and counts stay as they were', async () => {
    // Prepare
    const system = new MemorySystem();
    const subscribe = system.container.get(Subscribe);
    const inputs = [...lines(feedUrl(1), 0, 30), ...lines(feedUrl(2), 0, 30), ...lines(feedUrl(3), 0, 1)];
    const first = await subscribe.execute(inputs);
    system.adapters.clock.advance(60);

    // Act
    const again = await subscribe.execute([...inputs].reverse());

    // Assess
    expect(again.created).toBe(0);
    expect(again.createdIds.size).toBe(0);
    expect(new Set(again.subscriptions)).toEqual(new Set(first.subscriptions));
    for (const url of [feedUrl(1), feedUrl(2)]) {
      expect(await everySubscriberOf(system, url)).toHaveLength(30);
      expect(await system.adapters.feeds.get(feedIdFor(url))).toMatchObject({ subscribers: 30 });
    }
  });

  it('notes the packs’ level on a feed it creates, and finds both packed and later subscriptions by it', async () => {
    // Prepare
    const system = new MemorySystem();
    const subscribe = system.container.get(Subscribe);
    await subscribe.execute(lines(feedUrl(1), 0, 300));
    const packedFeed = await system.adapters.feeds.get(feedIdFor(feedUrl(1)));
    await subscribe.execute(lines(feedUrl(1), 300, 20));
    system.adapters.clock.advance(60);

    // Act
    const again = await subscribe.execute(lines(feedUrl(1), 0, 320));

    // Assess
    expect(packedFeed).toMatchObject({ packLevel: packLevelFor(1, 300), subscribers: 300 });
    expect(packedFeed?.unpacked).toBeUndefined();
    expect(await system.adapters.feeds.get(feedIdFor(feedUrl(1)))).toMatchObject({ unpacked: true, subscribers: 320 });
    expect(again.created).toBe(0);
    const stored = await everySubscriberOf(system, feedUrl(1));
    expect(stored).toHaveLength(320);
    expect(new Set(stored).size).toBe(320);
  });

  it('imports a removed feed again finding the subscriptions it kept: each stored once, the new ones added', async () => {
    // Prepare
    const system = new MemorySystem();
    const subscribe = system.container.get(Subscribe);
    const first = await subscribe.execute(lines(feedUrl(1), 0, 40));
    await system.container.get(RemoveFeeds).execute([feedUrl(1)]);
    system.adapters.clock.advance(60);

    // Act
    const again = await subscribe.execute(lines(feedUrl(1), 0, 100));

    // Assess
    expect(again.created).toBe(60);
    expect(again.subscriptions.slice(0, 40)).toEqual(first.subscriptions);
    const stored = await everySubscriberOf(system, feedUrl(1));
    expect(stored).toHaveLength(100);
    expect(new Set(stored).size).toBe(100);
    expect(await system.adapters.feeds.get(feedIdFor(feedUrl(1)))).toMatchObject({ subscribers: 100 });
  });

  it('doubles the feed’s shards once its subscribers pass shards × subscribersPerShard, and never shrinks them', async () => {
    // Prepare
    const system = new MemorySystem({ settings: { subscribersPerShard: 10 } });
    const subscribe = system.container.get(Subscribe);

    // Act
    await subscribe.execute(lines(feedUrl(1), 0, 10));
    const atTen = (await system.adapters.feeds.get(feedIdFor(feedUrl(1))))!.subscriberShards ?? 1;
    await subscribe.execute(lines(feedUrl(1), 10, 1));
    const atEleven = (await system.adapters.feeds.get(feedIdFor(feedUrl(1))))!.subscriberShards;
    await subscribe.execute(lines(feedUrl(1), 11, 30));

    // Assess
    expect([atTen, atEleven]).toEqual([1, 2]);
    expect(await system.adapters.feeds.get(feedIdFor(feedUrl(1)))).toMatchObject({
      subscribers: 41,
      subscriberShards: 8,
    });
    expect(new Set(await everySubscriberOf(system, feedUrl(1))).size).toBe(41);
  });

  it('seals each secret of a large import for its own subscription, across every chunk written', async () => {
    // Prepare
    const system = new MemorySystem();
    const secretOf = (i: number) => `whsec_${Buffer.from(`secret number ${i}`).toString('base64')}`;
    const inputs: SubscribeInput[] = Array.from({ length: 450 }, (_, i) => ({
      feedUrl: feedUrl(i % 3),
      sink: { kind: 'webhook', url: `https://hooks.example.net/${i}` },
      secret: secretOf(i),
    }));

    // Act
    const result = await system.container.get(Subscribe).execute(inputs);

    // Assess
    expect(result.created).toBe(450);
    const opened = await Promise.all(
      result.subscriptions.map(async (s) => {
        const stored = await system.adapters.subscriptions.get(s.feedId, s.id);
        expect(stored).toEqual(s);
        return system.adapters.cipher.open(stored!.secret!, stored!.id);
      }),
    );
    expect(opened).toEqual(inputs.map((input) => input.secret));
    for (let feed = 0; feed < 3; feed++) {
      expect(await everySubscriberOf(system, feedUrl(feed))).toHaveLength(150);
    }
  });

  it('imports again while no secret can be sealed: the subscriptions found active need none', async () => {
    // Prepare
    const system = new MemorySystem();
    const inputs = [...lines(feedUrl(1), 0, 120), ...lines(feedUrl(2), 0, 3)];
    const first = await system.container.get(Subscribe).execute(inputs);
    const offline = new Subscribe(
      system.adapters.subscriptions,
      system.adapters.feeds,
      system.adapters.clock,
      system.container.get(TOKENS.RelaySettings),
      new UnreachableCipher(),
    );

    // Act
    const again = await offline.execute(inputs);
    const adding = offline.execute(lines(feedUrl(1), 500, 1));

    // Assess
    expect(again.created).toBe(0);
    expect(again.subscriptions).toEqual(first.subscriptions);
    await expect(adding).rejects.toThrow(/cannot be reached/);
  });

  it('leaves every feed counting exactly its stored subscriptions when one feed fails, and a re-import completes it', async () => {
    // Prepare
    const system = new MemorySystem();
    const feeds = new RefusingFeedStore(feedIdFor(feedUrl(3)));
    const subscribe = new Subscribe(
      system.adapters.subscriptions,
      feeds,
      system.adapters.clock,
      system.container.get(TOKENS.RelaySettings),
      system.adapters.cipher,
    );
    const inputs = [1, 2, 3, 4, 5].flatMap((n) => lines(feedUrl(n), 0, 70));
    const countedAndStored = () =>
      Promise.all(
        [1, 2, 3, 4, 5].map(async (n) => [
          (await feeds.get(feedIdFor(feedUrl(n))))?.subscribers ?? 0,
          (await everySubscriberOf(system, feedUrl(n))).length,
        ]),
      );

    // Act
    await expect(subscribe.execute(inputs)).rejects.toThrow(/throttled/);
    const afterFailure = await countedAndStored();
    feeds.refused = undefined;
    const again = await subscribe.execute(inputs);

    // Assess
    for (const [counted, stored] of afterFailure) expect(counted).toBe(stored);
    expect(afterFailure[2]).toEqual([0, 0]);
    expect(again.created).toBe(5 * 70 - afterFailure.reduce((sum, [, stored]) => sum + stored!, 0));
    expect(await countedAndStored()).toEqual([1, 2, 3, 4, 5].map(() => [70, 70]));
  });
});
