import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { inject, injectable } from 'inversify';
import type { ServiceIdentifier } from 'inversify';
import type { Clock } from '../../application/ports/clock.port.js';
import type { SecretCipher } from '../../application/ports/secret-cipher.port.js';
import { TOKENS } from '../../application/tokens.js';
import { SECRETS_KEY } from '../aws-resources.js';
import { SealedSecretError } from '../crypto/errors.js';
import { isPlainSecret, openWithKey, parseSealed, sealWithKey } from '../crypto/sealed-secret.js';
import { DATA_KEY_RING, dataKeyIdOf, isDataKeyId, type DataKeyRing } from './data-key-ring.js';

export interface KmsSecretOptions {
  /** The key's id, ARN or alias ARN. */
  readonly keyId: string;
  /** A data key seals for at most this long before a new one is generated. Default one hour. */
  readonly dataKeyMaxAgeSeconds?: number;
  /** A data key seals at most this many secrets. Default 100,000. */
  readonly dataKeyMaxUses?: number;
  /** Opened data keys kept per process (least recently used dropped first). Default 256. */
  readonly openedKeysCached?: number;
}

export const KMS_CLIENT = Symbol.for('KMSClient') as ServiceIdentifier<KMSClient>;
export const KMS_SECRET_OPTIONS = Symbol.for('KmsSecretOptions') as ServiceIdentifier<KmsSecretOptions>;

interface DataKey {
  readonly plaintext: Buffer;
  /** The data key's id in the keyring: what a sealed secret carries. */
  readonly keyRef: string;
  readonly createdAt: number;
  uses: number;
}

/**
 * Envelope encryption with AWS KMS. Sealing: one `GenerateDataKey` per hour (or per 100,000 secrets) and
 * process, its encrypted data key kept once in the keyring (`DataKeyRing`) before the first secret sealed under
 * it is returned, then AES-256-GCM locally; the sealed secret carries the key's 22-character keyring id. Opening:
 * per distinct data key and process, one keyring read and one `Decrypt`, kept in a bounded cache, then
 * AES-256-GCM locally. A secret sealed before the keyring carries the encrypted data key itself (base64url,
 * about 246 characters): it is decrypted as it stands, without the keyring. Since a sealer makes
 * few data keys, a delivery function opens every secret with a handful of `Decrypt` calls per cold start: no
 * KMS call per delivery in steady state. The plain data keys live only in memory. Every call names the key
 * and the encryption context `SECRETS_KEY.encryptionContext`, on which the grants are conditioned.
 */
@injectable()
export class KmsSecretCipher implements SecretCipher {
  private sealing: Promise<DataKey> | undefined;
  private readonly opened = new Map<string, Promise<Buffer>>();
  private readonly maxAgeMs: number;
  private readonly maxUses: number;
  private readonly cacheSize: number;

  constructor(
    @inject(KMS_CLIENT) private readonly kms: KMSClient,
    @inject(KMS_SECRET_OPTIONS) private readonly options: KmsSecretOptions,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(DATA_KEY_RING) private readonly keyRing: DataKeyRing,
  ) {
    this.maxAgeMs = (options.dataKeyMaxAgeSeconds ?? 3600) * 1000;
    this.maxUses = options.dataKeyMaxUses ?? 100_000;
    this.cacheSize = options.openedKeysCached ?? 256;
  }

  async seal(secret: string, subscriptionId: string): Promise<string> {
    const key = await this.dataKey();
    key.uses++;
    return sealWithKey(key.plaintext, 'kms', key.keyRef, secret, subscriptionId);
  }

  async open(sealed: string, subscriptionId: string): Promise<string> {
    if (isPlainSecret(sealed)) return sealed;
    const parts = parseSealed(sealed);
    if (parts.scheme !== 'kms') {
      throw new SealedSecretError(`the secret of subscription ${subscriptionId} was sealed by a ${parts.scheme} key`);
    }
    return openWithKey(await this.plainKeyOf(parts.keyRef), parts, subscriptionId);
  }

  /** The data key sealing now: the current one while it is young and little used, else a new one. */
  private async dataKey(): Promise<DataKey> {
    const pending = this.sealing;
    const current = pending ? await pending.catch(() => undefined) : undefined;
    const now = this.clock.now().getTime();
    if (current && now - current.createdAt < this.maxAgeMs && current.uses < this.maxUses) return current;
    // Unless a concurrent seal replaced it meanwhile, the stale (or failed) key is replaced.
    if (this.sealing === pending || this.sealing === undefined) {
      const fresh = this.generate(now);
      this.sealing = fresh;
      fresh.catch(() => {
        if (this.sealing === fresh) this.sealing = undefined;
      });
    }
    return this.sealing!;
  }

  private async generate(now: number): Promise<DataKey> {
    const out = await this.kms.send(
      new GenerateDataKeyCommand({
        KeyId: this.options.keyId,
        KeySpec: 'AES_256',
        EncryptionContext: { ...SECRETS_KEY.encryptionContext },
      }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new SealedSecretError('KMS returned no data key');
    const keyRef = dataKeyIdOf(out.CiphertextBlob);
    // Kept before any secret sealed under it is returned: every secret's key is in the ring.
    await this.keyRing.keep(keyRef, out.CiphertextBlob);
    const key: DataKey = {
      plaintext: Buffer.from(out.Plaintext),
      keyRef,
      createdAt: now,
      uses: 0,
    };
    // What this process seals it can open without asking KMS.
    this.remember(key.keyRef, Promise.resolve(key.plaintext));
    return key;
  }

  /**
   * The plain data key of `keyRef`, from the cache or else one `Decrypt` (concurrent opens share it) of the
   * encrypted key: the keyring's under a short id, the reference itself in a secret sealed before the keyring.
   */
  private plainKeyOf(keyRef: string): Promise<Buffer> {
    const cached = this.opened.get(keyRef);
    if (cached) {
      // Most recently used last: the first entry is the one to drop.
      this.opened.delete(keyRef);
      this.opened.set(keyRef, cached);
      return cached;
    }
    const decrypting = this.encryptedKeyOf(keyRef)
      .then((blob) =>
        this.kms.send(
          new DecryptCommand({
            KeyId: this.options.keyId,
            CiphertextBlob: blob,
            EncryptionContext: { ...SECRETS_KEY.encryptionContext },
          }),
        ),
      )
      .then((out) => {
        if (!out.Plaintext) throw new SealedSecretError('KMS returned no plaintext for a data key');
        return Buffer.from(out.Plaintext);
      });
    // A failure is not cached: the next open asks again.
    decrypting.catch(() => {
      if (this.opened.get(keyRef) === decrypting) this.opened.delete(keyRef);
    });
    this.remember(keyRef, decrypting);
    return decrypting;
  }

  /** The data key as KMS encrypted it: looked up in the keyring for a short id, else the reference itself. */
  private async encryptedKeyOf(keyRef: string): Promise<Uint8Array> {
    if (!isDataKeyId(keyRef)) return Buffer.from(keyRef, 'base64url');
    const blob = await this.keyRing.find(keyRef);
    if (blob === undefined) {
      throw new SealedSecretError(`data key ${keyRef} of a sealed secret is not in the keyring: it cannot be opened`);
    }
    if (dataKeyIdOf(blob) !== keyRef) {
      throw new SealedSecretError(`the keyring holds another encrypted key under data key ${keyRef}`);
    }
    return blob;
  }

  private remember(keyRef: string, key: Promise<Buffer>): void {
    this.opened.set(keyRef, key);
    while (this.opened.size > this.cacheSize) this.opened.delete(this.opened.keys().next().value!);
  }
}
