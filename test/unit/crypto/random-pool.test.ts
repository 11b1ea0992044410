import { pooledRandomBytes } from '../../../src/adapters/crypto/random-pool.js';

describe('pooledRandomBytes', () => {
  it('hands out each byte once: draws across many pool refills never overlap, and a draw never changes later', () => {
    // Prepare
    const first = pooledRandomBytes(12);
    const kept = Buffer.from(first);

    // Act
    const draws = Array.from({ length: 5000 }, (_, i) => pooledRandomBytes(i % 2 === 0 ? 12 : 24));

    // Assess
    expect(first).toEqual(kept);
    expect(draws.every((bytes, i) => bytes.length === (i % 2 === 0 ? 12 : 24))).toBe(true);
    expect(new Set(draws.map((bytes) => bytes.toString('hex'))).size).toBe(draws.length);
  });

  it('gives a large draw from the CSPRNG directly, at the size asked', () => {
    expect(pooledRandomBytes(4096)).toHaveLength(4096);
    expect(pooledRandomBytes(0)).toHaveLength(0);
  });
});
