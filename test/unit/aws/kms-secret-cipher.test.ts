import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KMSClient, type DecryptCommandInput, type GenerateDataKeyCommandInput } from '@aws-sdk/client-kms';
import { FixedClock } from '../../support/memory/fixed-clock.js';
import { KmsSecretCipher } from '../../../src/adapters/kms/kms-secret-cipher.js';
import { SECRETS_KEY } from '../../../src/adapters/aws-resources.js';
import { describeSecretCipherContract } from '../../contract/secret-cipher.contract.js';

const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/secrets';

/**
 * A KMS that never leaves the process: one master key per key id, data keys wrapped with AES-256-GCM under
 * it and bound to the encryption context, as KMS binds them. Counts the calls of each kind; `failNext` makes
 * the next calls throw as a throttled KMS would.
 */
function fakeKms() {
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
  };
}

describeSecretCipherContract('KmsSecretCipher', async () => {
  const kms = fakeKms();
  return {
    cipher: new KmsSecretCipher(kms.client, { keyId: KEY_ID }, new FixedClock()),
    another: new KmsSecretCipher(kms.client, { keyId: `${KEY_ID}-other` }, new FixedClock()),
  };
});

describe('KmsSecretCipher', () => {
  it('seals many secrets with one data key and opens them elsewhere with one Decrypt: no KMS call per delivery', async () => {
    // Prepare
    const kms = fakeKms();
    const sealer = new KmsSecretCipher(kms.client, { keyId: KEY_ID }, new FixedClock());
    const sealed = await Promise.all(
      Array.from({ length: 500 }, (_, i) => sealer.seal(`whsec_c2VjcmV0LQ${i}`, `sub-${i}`)),
    );
    const deliverer = new KmsSecretCipher(kms.client, { keyId: KEY_ID }, new FixedClock());

    // Act
    const opened = [];
    for (let round = 0; round < 3; round++) {
      opened.push(...(await Promise.all(sealed.map((s, i) => deliverer.open(s, `sub-${i}`)))));
    }

    // Assess
    expect(opened[1499]).toBe('whsec_c2VjcmV0LQ499');
    expect(kms.calls).toEqual({ GenerateDataKey: 1, Decrypt: 1 });
  });

  it('opens what it sealed itself without asking KMS', async () => {
    const kms = fakeKms();
    const cipher = new KmsSecretCipher(kms.client, { keyId: KEY_ID }, new FixedClock());

    const sealed = await cipher.seal('whsec_c2VjcmV0', 'sub-1');

    expect(await cipher.open(sealed, 'sub-1')).toBe('whsec_c2VjcmV0');
    expect(kms.calls.Decrypt).toBe(0);
  });

  it('asks for a new data key once the current one is an hour old or has sealed its share', async () => {
    // Prepare
    const kms = fakeKms();
    const clock = new FixedClock();
    const cipher = new KmsSecretCipher(kms.client, { keyId: KEY_ID, dataKeyMaxUses: 3 }, clock);

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
    const sealers = Array.from(
      { length: 3 },
      () => new KmsSecretCipher(kms.client, { keyId: KEY_ID }, new FixedClock()),
    );
    const sealed = await Promise.all(sealers.map((s, i) => s.seal('whsec_c2VjcmV0', `sub-${i}`)));
    const deliverer = new KmsSecretCipher(kms.client, { keyId: KEY_ID, openedKeysCached: 2 }, new FixedClock());

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
    const sealed = await new KmsSecretCipher(kms.client, { keyId: KEY_ID }, new FixedClock()).seal(
      'whsec_c2VjcmV0',
      's',
    );
    const deliverer = new KmsSecretCipher(kms.client, { keyId: KEY_ID }, new FixedClock());
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
    const cipher = new KmsSecretCipher(kms.client, { keyId: KEY_ID }, new FixedClock());
    const other = new KmsSecretCipher(kms.client, { keyId: KEY_ID }, new FixedClock());

    await other.open(await cipher.seal('whsec_c2VjcmV0', 's'), 's');

    expect(seen).toEqual([
      expect.objectContaining({ KeyId: KEY_ID, KeySpec: 'AES_256', EncryptionContext: SECRETS_KEY.encryptionContext }),
      expect.objectContaining({ KeyId: KEY_ID, EncryptionContext: SECRETS_KEY.encryptionContext }),
    ]);
  });
});
