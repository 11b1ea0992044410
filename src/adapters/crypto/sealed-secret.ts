import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SealedSecretError } from './errors.js';
import { pooledRandomBytes } from './random-pool.js';

/*
 * The sealed form of a secret: `fr1.<scheme>.<key reference>.<iv>.<ciphertext and tag>`, each part base64url.
 * AES-256-GCM under a data key; the key reference says how to get that key back (`kms`: the data key's
 * 22-character id in the keyring, or in a secret sealed before the keyring the data key as KMS encrypted it;
 * `local`: the fingerprint of the local key). The additional authenticated data binds the
 * ciphertext to its scheme, key reference and subscription id: a sealed secret copied to another subscription
 * does not open.
 */

const VERSION = 'fr1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type SealScheme = 'kms' | 'local';

export interface SealedParts {
  readonly scheme: SealScheme;
  /** base64url, as it stands in the sealed string. */
  readonly keyRef: string;
  readonly iv: Buffer;
  readonly box: Buffer;
}

export { isPlainSecret } from '../../domain/subscription.js';

const aad = (scheme: SealScheme, keyRef: string, subscriptionId: string): Buffer =>
  Buffer.from(`${VERSION}.${scheme}.${keyRef}.${subscriptionId}`, 'utf8');

export function sealWithKey(
  key: Buffer,
  scheme: SealScheme,
  keyRef: string,
  secret: string,
  subscriptionId: string,
): string {
  const iv = pooledRandomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(scheme, keyRef, subscriptionId));
  const box = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, scheme, keyRef, iv.toString('base64url'), box.toString('base64url')].join('.');
}

export function parseSealed(sealed: string): SealedParts {
  const parts = sealed.split('.');
  const [version, scheme, keyRef, iv, box] = parts;
  if (parts.length !== 5 || version !== VERSION || (scheme !== 'kms' && scheme !== 'local') || !keyRef) {
    throw new SealedSecretError(`not a sealed secret (expected ${VERSION}.kms|local.…)`);
  }
  const ivBytes = Buffer.from(iv!, 'base64url');
  const boxBytes = Buffer.from(box!, 'base64url');
  if (ivBytes.length !== IV_BYTES || boxBytes.length <= TAG_BYTES) {
    throw new SealedSecretError('a sealed secret with a malformed iv or ciphertext');
  }
  return { scheme, keyRef, iv: ivBytes, box: boxBytes };
}

export function openWithKey(key: Buffer, parts: SealedParts, subscriptionId: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parts.iv);
    decipher.setAAD(aad(parts.scheme, parts.keyRef, subscriptionId));
    decipher.setAuthTag(parts.box.subarray(parts.box.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(parts.box.subarray(0, parts.box.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch (cause) {
    throw new SealedSecretError(`the sealed secret of subscription ${subscriptionId} does not open under its key`, {
      cause,
    });
  }
}
