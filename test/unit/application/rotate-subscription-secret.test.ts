import { RotateSubscriptionSecret } from '../../../src/application/use-cases/rotate-subscription-secret.js';
import { Subscribe } from '../../../src/application/use-cases/subscribe.js';
import { ConflictError, NotFoundError } from '../../../src/application/errors.js';
import { InvalidSubscriptionError } from '../../../src/domain/errors.js';
import { MemorySystem } from '../../support/memory-system.js';
import { aDocument, anItem, feedUrl } from '../../support/mothers.js';

const OLD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NEW = 'whsec_bmV3LXNlY3JldC1hZnRlci1yb3RhdGlvbg==';

async function subscribed(system: MemorySystem) {
  const { subscriptions } = await system.container
    .get(Subscribe)
    .execute([{ feedUrl: feedUrl(1), sink: { kind: 'webhook', url: 'https://hooks.example.net/1' }, secret: OLD }]);
  return subscriptions[0]!;
}

describe('RotateSubscriptionSecret', () => {
  it('stores the new secret sealed and keeps the old one signing for the grace period', async () => {
    // Prepare
    const system = new MemorySystem();
    const subscription = await subscribed(system);

    // Act
    const result = await system.container
      .get(RotateSubscriptionSecret)
      .execute({ feedId: subscription.feedId, subscriptionId: subscription.id, secret: NEW, graceSeconds: 3600 });

    // Assess
    const stored = (await system.adapters.subscriptions.get(subscription.feedId, subscription.id))!;
    const { cipher, clock } = system.adapters;
    expect(result.secret).toBe(NEW);
    expect(result.previousSecretUntil).toBe(new Date(clock.now().getTime() + 3_600_000).toISOString());
    expect(stored.secret).not.toContain(NEW.slice(6));
    expect(await cipher.open(stored.secret!, stored.id)).toBe(NEW);
    expect(stored.previousSecret).toBe(subscription.secret);
    expect(await cipher.open(stored.previousSecret!, stored.id)).toBe(OLD);
    expect(stored.previousSecretUntil).toBe(result.previousSecretUntil);
  });

  it('generates the new secret when none is given, with a grace of one day', async () => {
    const system = new MemorySystem();
    const subscription = await subscribed(system);

    const result = await system.container
      .get(RotateSubscriptionSecret)
      .execute({ feedId: subscription.feedId, subscriptionId: subscription.id });

    expect(result.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(result.previousSecretUntil).toBe(new Date(system.adapters.clock.now().getTime() + 86_400_000).toISOString());
  });

  it('delivers with both signatures during the grace: the in-flight recipients carry both sealed secrets', async () => {
    // Prepare
    const system = new MemorySystem();
    const subscription = await subscribed(system);
    await system.container
      .get(RotateSubscriptionSecret)
      .execute({ feedId: subscription.feedId, subscriptionId: subscription.id, secret: NEW, graceSeconds: 600 });
    system.adapters.fetcher.publish(feedUrl(1), aDocument([anItem(1)]));

    // Act
    await system.crawl();

    // Assess
    const [notification] = system.adapters.sink.received;
    const { cipher } = system.adapters;
    expect(await cipher.open(notification!.subscription.secret!, subscription.id)).toBe(NEW);
    expect(await cipher.open(notification!.subscription.previousSecret!, subscription.id)).toBe(OLD);
  });

  it('seals a secret stored plain (before sealing existed) as it keeps it for the grace', async () => {
    // Prepare
    const system = new MemorySystem();
    const subscription = await subscribed(system);
    const store = system.adapters.subscriptions;
    const [placed] = await store.findMany(subscription.feedId, [subscription.id], undefined);
    await store.putMany([{ ...placed!, subscription: { ...subscription, secret: OLD } }]);

    // Act
    await system.container
      .get(RotateSubscriptionSecret)
      .execute({ feedId: subscription.feedId, subscriptionId: subscription.id, secret: NEW });

    // Assess
    const stored = (await store.get(subscription.feedId, subscription.id))!;
    expect(JSON.stringify(stored)).not.toContain(OLD.slice(6));
    expect(await system.adapters.cipher.open(stored.previousSecret!, stored.id)).toBe(OLD);
  });

  it('refuses an unknown subscription, a bad secret or grace, and changes nothing', async () => {
    const system = new MemorySystem();
    const subscription = await subscribed(system);
    const rotate = system.container.get(RotateSubscriptionSecret);
    const ids = { feedId: subscription.feedId, subscriptionId: subscription.id };

    await expect(rotate.execute({ ...ids, subscriptionId: 'nope' })).rejects.toThrow(NotFoundError);
    await expect(rotate.execute({ ...ids, secret: 'plain' })).rejects.toThrow(/must be "whsec_" followed by base64/);
    await expect(rotate.execute({ ...ids, graceSeconds: -1 })).rejects.toThrow(InvalidSubscriptionError);
    expect(await system.adapters.subscriptions.get(subscription.feedId, subscription.id)).toEqual(subscription);
  });

  it('fails with a conflict, writing nothing, when the secret changed since it was read', async () => {
    // Prepare
    const system = new MemorySystem();
    const subscription = await subscribed(system);
    const store = system.adapters.subscriptions;
    const rotateSecret = store.rotateSecret.bind(store);
    // Another rotation lands between this one's read and its write.
    store.rotateSecret = async (rotated, expected) => {
      await rotateSecret(
        { ...rotated, subscription: { ...rotated.subscription, secret: 'sealed-elsewhere' } },
        expected,
      );
      return rotateSecret(rotated, expected);
    };

    // Act
    const rotating = system.container
      .get(RotateSubscriptionSecret)
      .execute({ feedId: subscription.feedId, subscriptionId: subscription.id });

    // Assess
    await expect(rotating).rejects.toThrow(ConflictError);
    expect((await store.get(subscription.feedId, subscription.id))!.secret).toBe('sealed-elsewhere');
  });
});
