import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SecretCipher } from '../../application/ports/secret-cipher.port.js';
import { SealedSecretError } from './errors.js';
import { isPlainSecret, openWithKey, parseSealed, sealWithKey } from './sealed-secret.js';

const KEY_BYTES = 32;

/**
 * Seals secrets with AES-256-GCM under one local key: the embedded stack's (a file in the data directory,
 * mode 0600, made on first use) or a test's. No KMS is involved; what the data directory's tables hold is
 * sealed like in AWS, and opens only with that directory's key. Without the key file the stored secrets are
 * lost, as a deleted KMS key would lose them in AWS.
 */
export class LocalSecretCipher implements SecretCipher {
  /** The key's fingerprint: a secret sealed under another key is named as such. */
  private readonly keyRef: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`a local secret key is ${KEY_BYTES} bytes, not ${key.length}`);
    this.keyRef = createHash('sha256').update(key).digest().subarray(0, 8).toString('base64url');
  }

  /** A cipher with a fresh random key, kept in memory only (tests, the in-memory adapters). */
  static ephemeral(): LocalSecretCipher {
    return new LocalSecretCipher(randomBytes(KEY_BYTES));
  }

  /** The key in `file` (base64), made with mode 0600 when there is none yet. */
  static async fromKeyFile(file: string): Promise<LocalSecretCipher> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dirname(file), { recursive: true });
      try {
        await writeFile(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      } catch (raced) {
        if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      }
      text = await readFile(file, 'utf8');
    }
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new SealedSecretError(`${file} does not hold a ${KEY_BYTES}-byte base64 key`);
    }
    return new LocalSecretCipher(key);
  }

  async seal(secret: string, subscriptionId: string): Promise<string> {
    return sealWithKey(this.key, 'local', this.keyRef, secret, subscriptionId);
  }

  async open(sealed: string, subscriptionId: string): Promise<string> {
    if (isPlainSecret(sealed)) return sealed;
    const parts = parseSealed(sealed);
    if (parts.scheme !== 'local' || parts.keyRef !== this.keyRef) {
      throw new SealedSecretError(
        `the secret of subscription ${subscriptionId} was sealed under another key (${parts.scheme} ${parts.keyRef.slice(0, 12)})`,
      );
    }
    return openWithKey(this.key, parts, subscriptionId);
  }
}
