import { randomBytes } from 'node:crypto';

/** Bytes drawn from the CSPRNG at once: one call serves a few hundred secrets or IVs. */
const POOL_BYTES = 8 * 1024;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * `size` random bytes from the platform's CSPRNG, as `randomBytes(size)` gives, drawn from a pool filled a few
 * KiB at a time: a bulk import seals tens of thousands of secrets, and one call per IV or secret cost more than
 * the sealing. Each byte is handed out once (a new pool replaces a used one, never refills it in place).
 */
export function pooledRandomBytes(size: number): Buffer {
  if (size > POOL_BYTES / 4) return randomBytes(size);
  if (offset + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + size);
  offset += size;
  return bytes;
}
