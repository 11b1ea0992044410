import type { SecretCipher } from '../../src/application/ports/secret-cipher.port.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** What every `SecretCipher` must do. `makeCipher` gives a fresh one; `another` one under a different key. */
export function describeSecretCipherContract(
  name: string,
  makeCipher: () => Promise<{ cipher: SecretCipher; another: SecretCipher }>,
): void {
  describe(`${name} as SecretCipher`, () => {
    it('seals a secret into a form that does not contain it, and opens it back for the same subscription', async () => {
      const { cipher } = await makeCipher();

      const sealed = await cipher.seal(SECRET, 'sub-1');

      expect(sealed).not.toContain(SECRET.slice(6));
      expect(sealed.startsWith('fr1.')).toBe(true);
      expect(await cipher.open(sealed, 'sub-1')).toBe(SECRET);
    });

    it('seals the same secret differently each time (a fresh iv)', async () => {
      const { cipher } = await makeCipher();

      const [a, b] = [await cipher.seal(SECRET, 'sub-1'), await cipher.seal(SECRET, 'sub-1')];

      expect(a).not.toBe(b);
      expect(await cipher.open(b, 'sub-1')).toBe(SECRET);
    });

    it('refuses to open a secret for another subscription than it was sealed for', async () => {
      const { cipher } = await makeCipher();
      const sealed = await cipher.seal(SECRET, 'sub-1');

      await expect(cipher.open(sealed, 'sub-2')).rejects.toThrow(/does not open/);
    });

    it('refuses a tampered or malformed sealed secret, and one sealed under another key', async () => {
      const { cipher, another } = await makeCipher();
      const sealed = await cipher.seal(SECRET, 'sub-1');
      const parts = sealed.split('.');
      const box = Buffer.from(parts[4]!, 'base64url');
      box[0] = box[0]! ^ 1;
      const tampered = [...parts.slice(0, 4), box.toString('base64url')].join('.');

      await expect(cipher.open(tampered, 'sub-1')).rejects.toThrow(/does not open/);
      await expect(cipher.open('fr1.kms.x', 'sub-1')).rejects.toThrow(/not a sealed secret/);
      await expect(another.open(sealed, 'sub-1')).rejects.toThrow();
    });

    it('opens a plain whsec_ secret (stored before secrets were sealed) as itself', async () => {
      const { cipher } = await makeCipher();

      expect(await cipher.open(SECRET, 'sub-1')).toBe(SECRET);
    });
  });
}
