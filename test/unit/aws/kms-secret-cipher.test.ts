import { GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { FixedClock } from '../../support/memory/fixed-clock.js';
import { KmsSecretCipher, type KmsSecretOptions } from '../../../src/adapters/kms/kms-secret-cipher.js';
import { SECRETS_KEY } from '../../../src/adapters/aws-resources.js';
import { SealedSecretError } from '../../../src/adapters/crypto/errors.js';
import { sealWithKey } from '../../../src/adapters/crypto/sealed-secret.js';
import { dataKeyIdOf, type DataKeyRing } from '../../../src/adapters/kms/data-key-ring.js';
import { describeSecretCipherContract } from '../../contract/secret-cipher.contract.js';
import { fakeKms } from '../../support/fake-kms.js';

const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/secrets';

/**
 * A cipher on the fake KMS under `KEY_ID` (unless `options` names another), with its own clock and the fake's
 * keyring unless given others.
 */
function cipherOn(
  kms: ReturnType<typeof fakeKms>,
  options: Partial<KmsSecretOptions> = {},
  { ring = kms.ring, clock = new FixedClock() }: { ring?: DataKeyRing; clock?: FixedClock } = {},
): KmsSecretCipher {
  return new KmsSecretCipher(kms.client, { keyId: KEY_ID, ...options }, clock, ring);
}

describeSecretCipherContract('KmsSecretCipher', async () => {
  const kms = fakeKms();
  return {
    cipher: cipherOn(kms),
    another: cipherOn(kms, { keyId: `${KEY_ID}-other` }),
  };
});

describe('KmsSecretCipher', () => {
  it('seals many secrets with one data key and opens them elsewhere with one Decrypt: no KMS call per delivery', async () => {
    // Prepare
    const kms = fakeKms();
    const sealer = cipherOn(kms);
    const sealed = await Promise.all(
      Array.from({ length: 500 }, (_, i) => sealer.seal(`whsec_c2VjcmV0LQ${i}`, `sub-${i}`)),
    );
    const deliverer = cipherOn(kms);

    // Act
    const opened = [];
    for (let round = 0; round < 3; round++) {
      opened.push(...(await Promise.all(sealed.map((s, i) => deliverer.open(s, `sub-${i}`)))));
    }

    // Assess
    expect(opened[1499]).toBe('whsec_c2VjcmV0LQ499');
    expect(kms.calls).toEqual({ GenerateDataKey: 1, Decrypt: 1 });
    expect(kms.ring.finds).toBe(1);
  });

  it('opens what it sealed itself without asking KMS', async () => {
    const kms = fakeKms();
    const cipher = cipherOn(kms);

    const sealed = await cipher.seal('whsec_c2VjcmV0', 'sub-1');

    expect(await cipher.open(sealed, 'sub-1')).toBe('whsec_c2VjcmV0');
    expect(kms.calls.Decrypt).toBe(0);
  });

  it('asks for a new data key once the current one is an hour old or has sealed its share', async () => {
    // Prepare
    const kms = fakeKms();
    const clock = new FixedClock();
    const cipher = cipherOn(kms, { dataKeyMaxUses: 3 }, { clock });

    // Act
    for (let i = 0; i < 3; i++) await cipher.seal('whsec_c2VjcmV0', `sub-${i}`);
    const beforeAge = kms.calls.GenerateDataKey;
    await cipher.seal('whsec_c2VjcmV0', 'sub-3');
    clock.advance(3600);
    await cipher.seal('whsec_c2VjcmV0', 'sub-4');

    // Assess
    expect(beforeAge).toBe(1);
    expect(kms.calls.GenerateDataKey).toBe(3);
  });

  it('keeps a bounded number of opened data keys', async () => {
    // Prepare
    const kms = fakeKms();
    const sealers = Array.from({ length: 3 }, () => cipherOn(kms));
    const sealed = await Promise.all(sealers.map((s, i) => s.seal('whsec_c2VjcmV0', `sub-${i}`)));
    const deliverer = cipherOn(kms, { openedKeysCached: 2 });

    // Act
    for (const [i, s] of sealed.entries()) await deliverer.open(s, `sub-${i}`);
    await deliverer.open(sealed[2]!, 'sub-2');
    await deliverer.open(sealed[0]!, 'sub-0');

    // Assess: the first key was dropped for the third and had to be decrypted again.
    expect(kms.calls.Decrypt).toBe(4);
  });

  it('lets a KMS failure through (the delivery is retried) and asks again next time', async () => {
    // Prepare
    const kms = fakeKms();
    const sealed = await cipherOn(kms).seal('whsec_c2VjcmV0', 's');
    const deliverer = cipherOn(kms);
    kms.failNext(1);

    // Act
    const failed = deliverer.open(sealed, 's');

    // Assess
    await expect(failed).rejects.toThrow(/Rate exceeded/);
    expect(await deliverer.open(sealed, 's')).toBe('whsec_c2VjcmV0');
  });

  it('names the key and the encryption context in every call', async () => {
    const seen: unknown[] = [];
    const kms = fakeKms();
    kms.client.middlewareStack.add(
      (next) => async (args) => {
        seen.push(args.input);
        return next(args);
      },
      { step: 'initialize', name: 'spy', priority: 'high' },
    );
    const cipher = cipherOn(kms);
    const other = cipherOn(kms);

    await other.open(await cipher.seal('whsec_c2VjcmV0', 's'), 's');

    expect(seen).toEqual([
      expect.objectContaining({ KeyId: KEY_ID, KeySpec: 'AES_256', EncryptionContext: SECRETS_KEY.encryptionContext }),
      expect.objectContaining({ KeyId: KEY_ID, EncryptionContext: SECRETS_KEY.encryptionContext }),
    ]);
  });

  describe('the keyring', () => {
    /** A secret as sealed before the keyring: the encrypted data key itself is its key reference. */
    async function sealedTheOldWay(kms: ReturnType<typeof fakeKms>, secret: string, subscriptionId: string) {
      const out = await kms.client.send(
        new GenerateDataKeyCommand({
          KeyId: KEY_ID,
          KeySpec: 'AES_256',
          EncryptionContext: { ...SECRETS_KEY.encryptionContext },
        }),
      );
      const keyRef = Buffer.from(out.CiphertextBlob!).toString('base64url');
      return sealWithKey(Buffer.from(out.Plaintext!), 'kms', keyRef, secret, subscriptionId);
    }

    it('names the data key in a sealed secret by a 22-character id, its encrypted key kept once in the keyring', async () => {
      // Prepare
      const kms = fakeKms();
      const sealer = cipherOn(kms);

      // Act
      const sealed = await Promise.all(Array.from({ length: 50 }, (_, i) => sealer.seal('whsec_c2VjcmV0', `sub-${i}`)));

      // Assess
      const refs = new Set(sealed.map((s) => s.split('.')[2]));
      expect(refs.size).toBe(1);
      const [ref] = refs;
      expect(ref).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(kms.ring.keeps).toBe(1);
      expect(kms.ring.kept[0]!.keyId).toBe(ref);
      expect(dataKeyIdOf(kms.ring.kept[0]!.encryptedKey)).toBe(ref);
      expect(sealed[0]!.length).toBeLessThan(100);
    });

    it('keeps one entry per data key: a new data key is kept under a new id', async () => {
      // Prepare
      const kms = fakeKms();
      const sealer = cipherOn(kms, { dataKeyMaxUses: 2 });

      // Act
      const sealed = [];
      for (let i = 0; i < 5; i++) sealed.push(await sealer.seal('whsec_c2VjcmV0', `sub-${i}`));

      // Assess
      expect(kms.calls.GenerateDataKey).toBe(3);
      expect(kms.ring.keeps).toBe(3);
      expect(new Set(kms.ring.kept.map((k) => k.keyId)).size).toBe(3);
      expect(sealed.map((s) => s.split('.')[2])).toEqual([0, 0, 1, 1, 2].map((n) => kms.ring.kept[n]!.keyId));
    });

    it('returns no secret sealed under a data key the keyring could not keep, and seals under a new one next time', async () => {
      // Prepare
      const kms = fakeKms();
      let down = true;
      const ring: DataKeyRing = {
        keep: async (keyId, encryptedKey) => {
          if (down) throw new Error('the table is unreachable');
          await kms.ring.keep(keyId, encryptedKey);
        },
        find: (keyId) => kms.ring.find(keyId),
      };
      const sealer = cipherOn(kms, {}, { ring });

      // Act
      const failed = sealer.seal('whsec_c2VjcmV0', 'sub-1');
      await expect(failed).rejects.toThrow(/the table is unreachable/);
      down = false;
      const sealed = await sealer.seal('whsec_c2VjcmV0', 'sub-1');

      // Assess
      expect(kms.calls.GenerateDataKey).toBe(2);
      const deliverer = cipherOn(kms);
      expect(await deliverer.open(sealed, 'sub-1')).toBe('whsec_c2VjcmV0');
    });

    it('opens a secret sealed before the keyring (the encrypted data key in the secret) without reading the keyring', async () => {
      // Prepare
      const kms = fakeKms();
      const old = await sealedTheOldWay(kms, 'whsec_b2xkLXNlY3JldA', 'sub-old');
      const deliverer = cipherOn(kms);

      // Act
      const opened = [await deliverer.open(old, 'sub-old'), await deliverer.open(old, 'sub-old')];

      // Assess
      expect(opened).toEqual(['whsec_b2xkLXNlY3JldA', 'whsec_b2xkLXNlY3JldA']);
      expect(kms.ring.finds).toBe(0);
      expect(kms.calls.Decrypt).toBe(1);
      await expect(deliverer.open(old, 'sub-other')).rejects.toThrow(/does not open/);
    });

    it('opens old and new secrets side by side, each data key decrypted once', async () => {
      // Prepare
      const kms = fakeKms();
      const old = await sealedTheOldWay(kms, 'whsec_b2xk', 'sub-1');
      const sealer = cipherOn(kms);
      const fresh = await sealer.seal('whsec_bmV3', 'sub-2');
      const deliverer = cipherOn(kms);
      const decryptsBefore = kms.calls.Decrypt;

      // Act
      const opened = await Promise.all([
        deliverer.open(old, 'sub-1'),
        deliverer.open(fresh, 'sub-2'),
        deliverer.open(fresh, 'sub-2'),
      ]);

      // Assess
      expect(opened).toEqual(['whsec_b2xk', 'whsec_bmV3', 'whsec_bmV3']);
      expect(kms.calls.Decrypt - decryptsBefore).toBe(2);
      expect(kms.ring.finds).toBe(1);
    });

    it('refuses a secret whose data key id the keyring does not hold, naming the id, and asks again next time', async () => {
      // Prepare
      const kms = fakeKms();
      const sealed = await cipherOn(kms).seal('whsec_c2VjcmV0', 'sub-1');
      const keyId = sealed.split('.')[2]!;
      const elsewhere = fakeKms();
      const deliverer = cipherOn(kms, {}, { ring: elsewhere.ring });

      // Act
      const missing = deliverer.open(sealed, 'sub-1');

      // Assess
      await expect(missing).rejects.toThrow(SealedSecretError);
      await expect(deliverer.open(sealed, 'sub-1')).rejects.toThrow(
        `data key ${keyId} of a sealed secret is not in the keyring`,
      );
      expect(kms.calls.Decrypt).toBe(0);
      await elsewhere.ring.keep(keyId, kms.ring.kept[0]!.encryptedKey);
      expect(await deliverer.open(sealed, 'sub-1')).toBe('whsec_c2VjcmV0');
    });

    it('refuses a keyring entry that is not the key its id names', async () => {
      // Prepare
      const kms = fakeKms();
      const sealed = await cipherOn(kms).seal('whsec_c2VjcmV0', 'sub-1');
      const other = await kms.client.send(
        new GenerateDataKeyCommand({
          KeyId: KEY_ID,
          KeySpec: 'AES_256',
          EncryptionContext: { ...SECRETS_KEY.encryptionContext },
        }),
      );
      const swapped: DataKeyRing = { keep: async () => {}, find: async () => other.CiphertextBlob };
      const deliverer = cipherOn(kms, {}, { ring: swapped });

      // Act
      const opened = deliverer.open(sealed, 'sub-1');

      // Assess
      await expect(opened).rejects.toThrow(/the keyring holds another encrypted key under data key/);
    });
  });
});
