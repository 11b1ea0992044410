import fc from 'fast-check';
import type {
  SubscriberPageReader,
  SubscriptionRepository,
} from '../../src/application/ports/subscription-store.port.js';
import type { ContractOptions } from './feed-store.contract.js';
import type { PagePosition } from '../../src/domain/cursor.js';
import { shardOf } from '../../src/domain/subscription.js';
import { aSubscriptionRecord, uniqueId } from '../support/mothers.js';
import { readAllPages } from './paging.js';

export type SubscriptionStore = SubscriptionRepository & SubscriberPageReader;

/** The ids in one shard of a feed, every page. */
async function readShard(store: SubscriptionStore, feedId: string, shard: number): Promise<string[]> {
  const ids: string[] = [];
  let after: PagePosition | undefined;
  do {
    const page = await store.readPage(feedId, shard, after, 7);
    ids.push(...page.items.map((s) => s.id));
    after = page.next;
  } while (after !== undefined);
  return ids;
}

/** What every subscription table must do. `makeStore` gives a fresh, empty store. */
export function describeSubscriptionStoreContract(
  name: string,
  makeStore: () => Promise<SubscriptionStore>,
  options: ContractOptions = {},
): void {
  describe(`${name} as SubscriptionRepository and SubscriberPageReader`, () => {
    it('stores a subscription and returns it', async () => {
      const store = await makeStore();
      const subscription = aSubscriptionRecord();

      const stored = await store.add(subscription);

      expect(stored).toEqual(subscription);
      expect(await store.get(subscription.feedId, subscription.id)).toEqual(subscription);
      expect(await store.get(subscription.feedId, 'no-such-subscription')).toBeUndefined();
      expect(await store.get('no-such-feed', subscription.id)).toBeUndefined();
    });

    it('keeps an active subscription when one with its id is added again, and returns the one it keeps', async () => {
      const store = await makeStore();
      const original = aSubscriptionRecord();
      await store.add(original);

      const stored = await store.add({ ...original, secret: 'whsec_b3RoZXI=', createdAt: '2026-02-01T00:00:00.000Z' });

      expect(stored).toEqual(original);
      expect(await store.get(original.feedId, original.id)).toEqual(original);
    });

    it('rotates the secrets of an active subscription whose secret is still the one expected', async () => {
      const store = await makeStore();
      const subscription = aSubscriptionRecord({
        previousSecret: 'sealed-0',
        previousSecretUntil: '2026-01-01T00:00:00.000Z',
      });
      await store.add(subscription);
      const [placed] = await store.findMany(subscription.feedId, [subscription.id]);
      const rotated = {
        ...subscription,
        secret: 'sealed-2',
        previousSecret: subscription.secret!,
        previousSecretUntil: '2026-01-02T00:00:00.000Z',
      };
      const dropped = { ...subscription, secret: 'sealed-3' };
      delete (dropped as { previousSecret?: string }).previousSecret;
      delete (dropped as { previousSecretUntil?: string }).previousSecretUntil;

      const stale = await store.rotateSecret({ subscription: rotated, shard: placed!.shard }, 'not-the-secret');
      const written = await store.rotateSecret({ subscription: rotated, shard: placed!.shard }, subscription.secret!);
      const withoutGrace = await store.rotateSecret({ subscription: dropped, shard: placed!.shard }, 'sealed-2');

      expect([stale, written, withoutGrace]).toEqual([false, true, true]);
      expect(await store.get(subscription.feedId, subscription.id)).toEqual(dropped);
    });

    it('does not rotate, nor revive, an ended subscription', async () => {
      const store = await makeStore();
      const subscription = aSubscriptionRecord();
      await store.add(subscription);
      await store.end(subscription.feedId, subscription.id);
      const [placed] = await store.findMany(subscription.feedId, [subscription.id]);

      const written = await store.rotateSecret(
        { subscription: { ...subscription, secret: 'sealed-2' }, shard: placed!.shard },
        subscription.secret!,
      );

      expect(written).toBe(false);
      expect(await store.get(subscription.feedId, subscription.id)).toEqual({ ...subscription, status: 'ended' });
    });

    it('ends a subscription, which stays readable as ended', async () => {
      const store = await makeStore();
      const subscription = aSubscriptionRecord();
      await store.add(subscription);

      await store.end(subscription.feedId, subscription.id);

      expect(await store.get(subscription.feedId, subscription.id)).toEqual({ ...subscription, status: 'ended' });
    });

    it('replaces an ended subscription when it is added again', async () => {
      const store = await makeStore();
      const original = aSubscriptionRecord();
      await store.add(original);
      await store.end(original.feedId, original.id);
      const renewed = { ...original, createdAt: '2026-03-01T00:00:00.000Z' };

      const stored = await store.add(renewed);

      expect(stored).toEqual(renewed);
      expect(await store.get(original.feedId, original.id)).toEqual(renewed);
    });

    it('ends nothing when the subscription is unknown', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');

      await store.end(feedId, 'no-such-subscription');

      expect(await store.get(feedId, 'no-such-subscription')).toBeUndefined();
      expect((await store.readPage(feedId, 0, undefined, 10)).items).toEqual([]);
    });

    it('answers a feed without subscribers with a last page', async () => {
      const store = await makeStore();

      const page = await store.readPage(uniqueId('feed'), 0, undefined, 5);

      expect(page.items).toEqual([]);
      expect(page.next).toBeUndefined();
    });

    it('spreads the subscriptions written for K shards over shards 0..K-1, each read from exactly one', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const subscriptions = Array.from({ length: 40 }, () => aSubscriptionRecord({ feedId }));

      await store.putMany(subscriptions.map((subscription) => ({ subscription, shard: shardOf(subscription.id, 4) })));

      const shards = await Promise.all([0, 1, 2, 3, 4].map((shard) => readShard(store, feedId, shard)));
      expect(shards.slice(0, 4).every((ids) => ids.length > 0)).toBe(true);
      expect(shards.flat().sort()).toEqual(subscriptions.map((s) => s.id).sort());
      expect(shards[4]).toEqual([]);
    });

    it('finds a subscription by feed and id in whichever shard its feed had when it was written', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const early = aSubscriptionRecord({ feedId });
      const late = aSubscriptionRecord({ feedId });
      await store.putMany([
        { subscription: early, shard: shardOf(early.id, 1) },
        { subscription: late, shard: shardOf(late.id, 8) },
      ]);

      const found = await store.findMany(feedId, [early.id, late.id, 'no-such-subscription'], 8);

      expect(found).toEqual([
        { subscription: early, shard: 0 },
        { subscription: late, shard: shardOf(late.id, 8) },
      ]);
      expect(await store.get(feedId, late.id)).toEqual(late);
      await store.end(feedId, late.id);
      expect(await store.get(feedId, late.id)).toEqual({ ...late, status: 'ended' });
      expect(await readShard(store, feedId, shardOf(late.id, 8))).toContain(late.id);
    });

    it('writes and finds more subscriptions than one batch request holds', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const subscriptions = Array.from({ length: 130 }, () => aSubscriptionRecord({ feedId }));

      await store.putMany(subscriptions.map((subscription) => ({ subscription, shard: 0 })));

      const found = await store.findMany(
        feedId,
        subscriptions.map((s) => s.id),
        1,
      );
      expect(found.map((p) => p.subscription)).toEqual(subscriptions);
    });

    it("pages through one feed's subscribers exactly once, never another feed's", async () => {
      const store = await makeStore();
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,12}$/), { maxLength: 30 }),
          fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 6 }),
          async (ids, limits) => {
            // Each run has feeds of its own, so one store serves every run.
            const feedId = uniqueId('feed');
            const neighbour = uniqueId('feed');
            for (const id of ids) {
              await store.add(aSubscriptionRecord({ id, feedId }));
              await store.add(aSubscriptionRecord({ id, feedId: neighbour }));
            }

            const { items } = await readAllPages(
              (after, limit) => store.readPage(feedId, 0, after, limit),
              limits,
              ids.length,
            );

            expect(items.every((subscription) => subscription.feedId === feedId)).toBe(true);
            expect(items.map((subscription) => subscription.id).sort()).toEqual([...ids].sort());
          },
        ),
        { numRuns: options.numRuns ?? 50 },
      );
    });
  });
}
