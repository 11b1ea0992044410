import fc from 'fast-check';
import type {
  SubscriberPageReader,
  SubscriptionRepository,
} from '../../src/application/ports/subscription-store.port.js';
import type { ContractOptions } from './feed-store.contract.js';
import type { PagePosition } from '../../src/domain/cursor.js';
import { packLevelFor, packPlaceOf, shardOf, type Subscription } from '../../src/domain/subscription.js';
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

      const stale = await store.rotateSecret({ ...placed!, subscription: rotated }, 'not-the-secret');
      const written = await store.rotateSecret({ ...placed!, subscription: rotated }, subscription.secret!);
      const withoutGrace = await store.rotateSecret({ ...placed!, subscription: dropped }, 'sealed-2');

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
        { ...placed!, subscription: { ...subscription, secret: 'sealed-2' } },
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
    it('writes new packs whole and finds each subscription in its pack, at any level', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const few = Array.from({ length: 20 }, () => aSubscriptionRecord({ feedId }));
      const many = Array.from({ length: 300 }, () => aSubscriptionRecord({ feedId }));

      // A feed of 20 in one pack; 300 more at the level of 640 (16 packs).
      await store.putMany(packed(few, 1, 20), { newPacks: true });
      await store.putMany(packed(many, 1, 640), { newPacks: true });

      const found = await store.findMany(
        feedId,
        [...few, ...many].map((s) => s.id),
        1,
      );
      expect(found).toEqual([...packed(few, 1, 20), ...packed(many, 1, 640)]);
      expect(new Set(found.map((placed) => placed.pack)).size).toBeGreaterThan(10);
      expect((await readShard(store, feedId, 0)).sort()).toEqual([...few, ...many].map((s) => s.id).sort());
    });

    it('finds by the layout a feed knows only in the places it allows: its packs’ level, and items if unpacked', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const imported = Array.from({ length: 300 }, () => aSubscriptionRecord({ feedId }));
      const joining = Array.from({ length: 30 }, () => aSubscriptionRecord({ feedId }));
      const level = packLevelFor(2, 300);
      await store.putMany(packed(imported, 2, 300), { newPacks: true });
      await store.putMany(joining.map((subscription) => ({ subscription, shard: shardOf(subscription.id, 4) })));
      const ids = [...imported, ...joining].map((s) => s.id);

      const whole = await store.findMany(feedId, ids, 4, { packLevel: level, unpacked: true });
      const packsOnly = await store.findMany(feedId, ids, 4, { packLevel: level, unpacked: false });
      const otherLevel = await store.findMany(feedId, ids, 4, { packLevel: level + 1, unpacked: true });

      expect(whole.map((p) => p.subscription.id).sort()).toEqual([...ids].sort());
      expect(whole).toEqual(await store.findMany(feedId, ids, 4));
      expect(packsOnly.map((p) => p.subscription.id).sort()).toEqual(imported.map((s) => s.id).sort());
      expect(otherLevel.map((p) => p.subscription.id).sort()).toEqual(joining.map((s) => s.id).sort());
    });

    it('keeps subscriptions of their own beside packs, and renews, ends and rotates one inside a pack', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const imported = Array.from({ length: 40 }, () => aSubscriptionRecord({ feedId }));
      const joining = Array.from({ length: 40 }, () => aSubscriptionRecord({ feedId }));
      await store.putMany(packed(imported, 1, 40), { newPacks: true });
      const [ended, rotated] = [imported[3]!, imported[4]!];
      await store.end(feedId, ended.id);

      await store.putMany(joining.map((subscription) => ({ subscription, shard: 0 })));
      const [placedEnded] = await store.findMany(feedId, [ended.id], 1);
      await store.putMany([{ ...placedEnded!, subscription: { ...ended, createdAt: '2026-05-01T00:00:00.000Z' } }]);
      const [placedRotated] = await store.findMany(feedId, [rotated.id], 1);
      const written = await store.rotateSecret(
        { ...placedRotated!, subscription: { ...rotated, secret: 'sealed-9' } },
        rotated.secret!,
      );

      const stale = await store.rotateSecret(
        { ...placedRotated!, subscription: { ...rotated, secret: 'sealed-10' } },
        rotated.secret!,
      );

      expect(placedEnded!.pack).toBe(packPlaceOf(ended.id, 1, 40).pack);
      expect([written, stale]).toEqual([true, false]);
      expect((await readShard(store, feedId, 0)).sort()).toEqual([...imported, ...joining].map((s) => s.id).sort());
      expect(await store.get(feedId, ended.id)).toEqual({ ...ended, createdAt: '2026-05-01T00:00:00.000Z' });
      expect(await store.get(feedId, rotated.id)).toEqual({ ...rotated, secret: 'sealed-9' });
      expect(await store.get(feedId, imported[5]!.id)).toEqual(imported[5]);
    });

    it('reads a page of packs again the same from the same position, and every page once, at any limit', async () => {
      const store = await makeStore();
      const feedId = uniqueId('feed');
      const subscriptions = Array.from({ length: 150 }, () => aSubscriptionRecord({ feedId }));
      await store.putMany(packed(subscriptions.slice(0, 100), 1, 100), { newPacks: true });
      await store.putMany(subscriptions.slice(100).map((subscription) => ({ subscription, shard: 0 })));
      // The mark of a removal lies between the packs and the rest: pages read nothing of it.
      await store.noteRemoved([feedId]);

      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 8 }), async (limits) => {
          const { items } = await readAllPages(
            (after, limit) => store.readPage(feedId, 0, after, limit),
            limits,
            subscriptions.length,
          );
          expect(items.map((s) => s.id).sort()).toEqual(subscriptions.map((s) => s.id).sort());
        }),
        { numRuns: options.numRuns ?? 20 },
      );
      // What a resume relies on: the same position and limit read the same subscriptions (a short page fewer).
      const first = await store.readPage(feedId, 0, undefined, 7);
      const [once, again] = [
        await store.readPage(feedId, 0, first.next, 30),
        await store.readPage(feedId, 0, first.next, 30),
      ].sort((a, b) => a.items.length - b.items.length);
      expect(again!.items.length).toBeGreaterThan(0);
      expect(again!.items.slice(0, once!.items.length)).toEqual(once!.items);
    });

    it('says which feeds were removed once', async () => {
      const store = await makeStore();
      const [kept, removed, other] = [uniqueId('feed'), uniqueId('feed'), uniqueId('feed')];
      await store.add(aSubscriptionRecord({ feedId: removed }));
      await store.add(aSubscriptionRecord({ feedId: kept }));

      await store.noteRemoved([removed, removed]);

      expect(await store.removedAmong([kept, removed, other])).toEqual(new Set([removed]));
      expect(await readShard(store, removed, 0)).toHaveLength(1);
    });
  });
}

/** Each subscription where an import puts it in a feed it creates with `subscribers` in `shards` shards. */
function packed(subscriptions: readonly Subscription[], shards: number, subscribers: number) {
  return subscriptions.map((subscription) => ({ subscription, ...packPlaceOf(subscription.id, shards, subscribers) }));
}
