import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSecretCipher } from '../../../src/adapters/crypto/local-secret-cipher.js';
import { describeSecretCipherContract } from '../../contract/secret-cipher.contract.js';

describeSecretCipherContract('LocalSecretCipher', async () => ({
  cipher: LocalSecretCipher.ephemeral(),
  another: LocalSecretCipher.ephemeral(),
}));

describe('LocalSecretCipher.fromKeyFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedrelay-key-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes the key on first use, readable by its owner only, and opens with it what it sealed before', async () => {
    // Prepare
    const file = join(dir, 'secret-key');
    const sealed = await (await LocalSecretCipher.fromKeyFile(file)).seal('whsec_c2VjcmV0', 'sub-1');

    // Act
    const reopened = await LocalSecretCipher.fromKeyFile(file);

    // Assess
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toHaveLength(32);
    expect(await reopened.open(sealed, 'sub-1')).toBe('whsec_c2VjcmV0');
  });

  it('names a key file that holds no key', async () => {
    const file = join(dir, 'secret-key');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, 'short'));

    await expect(LocalSecretCipher.fromKeyFile(file)).rejects.toThrow(/secret-key does not hold a 32-byte base64 key/);
  });
});
