import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KMSClient, type DecryptCommandInput, type GenerateDataKeyCommandInput } from '@aws-sdk/client-kms';
import { InMemoryDataKeyRing } from '../../src/adapters/memory/in-memory-data-key-ring.js';

/**
 * A KMS that never leaves the process: one master key per key id, data keys wrapped with AES-256-GCM under
 * it and bound to the encryption context, as KMS binds them. Counts the calls of each kind; `failNext` makes
 * the next calls throw as a throttled KMS would. With it the stack's keyring (in memory), which counts the
 * data keys kept and the lookups.
 */
export function fakeKms() {
  const masters = new Map<string, Buffer>();
  const calls = { GenerateDataKey: 0, Decrypt: 0 };
  let failures = 0;
  const master = (keyId: string) => {
    if (!masters.has(keyId)) masters.set(keyId, randomBytes(32));
    return masters.get(keyId)!;
  };
  const client = new KMSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const command = context.commandName!.replace(/Command$/, '') as keyof typeof calls;
      calls[command]++;
      if (failures > 0) {
        failures--;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      }
      if (command === 'GenerateDataKey') {
        const input = args.input as GenerateDataKeyCommandInput;
        const plaintext = randomBytes(32);
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', master(input.KeyId!), iv);
        cipher.setAAD(Buffer.from(JSON.stringify(input.EncryptionContext ?? {})));
        const blob = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
        return { output: { Plaintext: plaintext, CiphertextBlob: blob, KeyId: input.KeyId, $metadata: {} } } as never;
      }
      const input = args.input as DecryptCommandInput;
      const blob = Buffer.from(input.CiphertextBlob!);
      const decipher = createDecipheriv('aes-256-gcm', master(input.KeyId!), blob.subarray(0, 12));
      decipher.setAAD(Buffer.from(JSON.stringify(input.EncryptionContext ?? {})));
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      let plaintext: Buffer;
      try {
        plaintext = Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
      } catch {
        throw Object.assign(new Error('invalid ciphertext'), { name: 'InvalidCiphertextException' });
      }
      return { output: { Plaintext: plaintext, KeyId: input.KeyId, $metadata: {} } } as never;
    },
    { step: 'initialize', name: 'fakeKms' },
  );
  return {
    client,
    calls,
    failNext: (n: number) => (failures = n),
    ring: countingRing(),
  };
}

/** An in-memory keyring that counts its writes and reads, and remembers what it was given. */
export function countingRing() {
  const ring = new InMemoryDataKeyRing();
  const kept: { keyId: string; encryptedKey: Buffer }[] = [];
  const counting = {
    keeps: 0,
    finds: 0,
    kept,
    keep: async (keyId: string, encryptedKey: Uint8Array) => {
      counting.keeps++;
      await ring.keep(keyId, encryptedKey);
      kept.push({ keyId, encryptedKey: Buffer.from(encryptedKey) });
    },
    find: async (keyId: string) => {
      counting.finds++;
      return ring.find(keyId);
    },
  };
  return counting;
}
