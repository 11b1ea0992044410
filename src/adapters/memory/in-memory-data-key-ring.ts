import { DataKeyRingConflictError, requireDataKeyId, type DataKeyRing } from '../kms/data-key-ring.js';

/** The keyring in memory, with the DynamoDB one's rules: an id keeps the first key it was given. */
export class InMemoryDataKeyRing implements DataKeyRing {
  private readonly keys = new Map<string, Buffer>();

  async keep(keyId: string, encryptedKey: Uint8Array): Promise<void> {
    requireDataKeyId(keyId);
    const kept = this.keys.get(keyId);
    if (kept === undefined) {
      this.keys.set(keyId, Buffer.from(encryptedKey));
      return;
    }
    if (!kept.equals(encryptedKey)) {
      throw new DataKeyRingConflictError(`data key ${keyId} is already kept with another encrypted key`);
    }
  }

  async find(keyId: string): Promise<Uint8Array | undefined> {
    requireDataKeyId(keyId);
    const kept = this.keys.get(keyId);
    return kept === undefined ? undefined : Buffer.from(kept);
  }
}
