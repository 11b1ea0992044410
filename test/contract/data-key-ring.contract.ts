import { randomBytes } from 'node:crypto';
import { DataKeyRingConflictError, dataKeyIdOf, type DataKeyRing } from '../../src/adapters/kms/data-key-ring.js';

/** An encrypted data key as KMS returns one (random bytes of a CiphertextBlob's size), with its id. */
function anEncryptedKey(): { keyId: string; encryptedKey: Buffer } {
  const encryptedKey = randomBytes(184);
  return { keyId: dataKeyIdOf(encryptedKey), encryptedKey };
}

/** What every keyring must do: keep an encrypted data key once, for good, and find it by its id. */
export function describeDataKeyRingContract(name: string, makeRing: () => Promise<DataKeyRing>): void {
  describe(`${name} as DataKeyRing`, () => {
    it('finds a kept data key by its id, byte for byte', async () => {
      const ring = await makeRing();
      const { keyId, encryptedKey } = anEncryptedKey();

      await ring.keep(keyId, encryptedKey);

      expect(Buffer.from((await ring.find(keyId))!)).toEqual(encryptedKey);
    });

    it('finds nothing under an id it never kept', async () => {
      const ring = await makeRing();

      expect(await ring.find(anEncryptedKey().keyId)).toBeUndefined();
    });

    it('keeps the same key under the same id again without complaint, also from many sealers at once', async () => {
      const ring = await makeRing();
      const { keyId, encryptedKey } = anEncryptedKey();

      await Promise.all(Array.from({ length: 5 }, () => ring.keep(keyId, Buffer.from(encryptedKey))));
      await ring.keep(keyId, encryptedKey);

      expect(Buffer.from((await ring.find(keyId))!)).toEqual(encryptedKey);
    });

    it('never gives a kept id another key: the write is refused and the first key stays', async () => {
      const ring = await makeRing();
      const { keyId, encryptedKey } = anEncryptedKey();
      await ring.keep(keyId, encryptedKey);

      const overwrite = ring.keep(keyId, anEncryptedKey().encryptedKey);

      await expect(overwrite).rejects.toThrow(DataKeyRingConflictError);
      await expect(ring.keep(keyId, randomBytes(184))).rejects.toThrow(`data key ${keyId} is already kept`);
      expect(Buffer.from((await ring.find(keyId))!)).toEqual(encryptedKey);
    });

    it('keeps many keys apart', async () => {
      const ring = await makeRing();
      const keys = Array.from({ length: 4 }, anEncryptedKey);

      for (const { keyId, encryptedKey } of keys) await ring.keep(keyId, encryptedKey);

      for (const { keyId, encryptedKey } of keys) {
        expect(Buffer.from((await ring.find(keyId))!)).toEqual(encryptedKey);
      }
    });

    it('refuses an id that is not a data key id, naming it', async () => {
      const ring = await makeRing();

      await expect(ring.find('')).rejects.toThrow(/data key id "" is not 22 base64url characters/);
      await expect(ring.keep('a.b', randomBytes(184))).rejects.toThrow(/data key id "a.b"/);
    });
  });
}
