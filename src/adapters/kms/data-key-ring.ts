import { createHash } from 'node:crypto';
import type { ServiceIdentifier } from 'inversify';
import { FeedrelayError } from '../../domain/errors.js';

/**
 * Where the KMS cipher keeps the data keys it seals with, as KMS encrypted them (the CiphertextBlob): once each,
 * under a short id that the sealed secrets carry instead of the encrypted key itself. A data key seals up to
 * 100,000 secrets, so the ring holds a few keys where the subscriptions would each hold a copy.
 *
 * What is kept is kept for good: no expiry, and an id is never given another key.
 */
export interface DataKeyRing {
  /**
   * Keeps `encryptedKey` under `keyId`, with one conditional write. Idempotent: keeping the same key under the
   * same id again changes nothing. A different key under an id already taken is refused with a
   * `DataKeyRingConflictError`, and the key kept stays as it was.
   */
  keep(keyId: string, encryptedKey: Uint8Array): Promise<void>;

  /** The encrypted data key kept under `keyId`, or `undefined` if there is none; sees a `keep` that just returned. */
  find(keyId: string): Promise<Uint8Array | undefined>;
}

export const DATA_KEY_RING = Symbol.for('DataKeyRing') as ServiceIdentifier<DataKeyRing>;

/** An id of the ring already names another data key: nothing was stored. */
export class DataKeyRingConflictError extends FeedrelayError {
  readonly code = 'data_key_ring_conflict';
}

/** Bytes of SHA-256 in a data key's id: 128 bits, 22 base64url characters. */
const ID_BYTES = 16;
const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** The short id of an encrypted data key: the first 16 bytes of its SHA-256, base64url (22 characters). */
export function dataKeyIdOf(encryptedKey: Uint8Array): string {
  return createHash('sha256').update(encryptedKey).digest().subarray(0, ID_BYTES).toString('base64url');
}

/**
 * Whether a sealed secret's key reference is a keyring id (22 characters) rather than the encrypted data key
 * itself, as secrets sealed before the keyring carry it (a KMS CiphertextBlob is well over 100 bytes).
 */
export function isDataKeyId(keyRef: string): boolean {
  return ID_PATTERN.test(keyRef);
}

/** Refuses an id that `dataKeyIdOf` could not have made, naming it. */
export function requireDataKeyId(keyId: string): string {
  if (!isDataKeyId(keyId)) {
    throw new RangeError(`data key id ${JSON.stringify(keyId)} is not 22 base64url characters`);
  }
  return keyId;
}
