import { readFileSync } from 'node:fs';

function readVersion(): string {
  // A Lambda bundle has no package.json beside it: the bundler defines the version instead.
  if (process.env.FEEDRELAY_VERSION) return process.env.FEEDRELAY_VERSION;
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** feedrelay's version, read once from package.json (or defined by the Lambda bundler). */
export const VERSION = readVersion();
