import { hash } from 'node:crypto';

/**
 * Identities (articles, feeds, notifications) are derived from SHA-256 digests. The platform's own SHA-256
 * (`node:crypto`, the one module the domain may import) computes them: the same digest everywhere the code
 * runs, Node or Lambda. The one-shot `hash` (Node ≥ 20.12) takes about a third of the time of a `createHash`
 * object per digest, which a crawl computes for every article it reads.
 */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** A short, stable identity of its parts: the first `length` hex digits of the SHA-256 of their join. */
export function digest(parts: readonly string[], length = 32): string {
  return sha256Hex(parts.join('\u0000')).slice(0, length);
}
