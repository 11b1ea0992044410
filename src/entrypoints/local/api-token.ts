import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../../application/errors.js';

/** The environment variable that sets the local API's token instead of the data directory's `api-token`. */
export const API_TOKEN_ENV = 'FEEDRELAY_API_TOKEN';

/** The shortest token accepted from the environment: guessing it must stay out of reach. */
const MIN_TOKEN_LENGTH = 16;

export interface ApiToken {
  readonly token: string;
  /** Where it comes from: the environment variable, or the file (`created` when this start wrote it). */
  readonly source: { readonly env: string } | { readonly file: string; readonly created: boolean };
}

/**
 * The bearer token of the local management API: `FEEDRELAY_API_TOKEN` when set, else the one kept in
 * `<data-dir>/api-token`, generated (32 random bytes, base64url) and written with mode 0600 on first use.
 */
export async function apiTokenFor(dataDir: string, env: NodeJS.ProcessEnv): Promise<ApiToken> {
  const fromEnv = env[API_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const token = fromEnv.trim();
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      throw new ConfigurationError(
        `${API_TOKEN_ENV} must be at least ${MIN_TOKEN_LENGTH} characters without spaces, got ${token.length}`,
      );
    }
    return { token, source: { env: API_TOKEN_ENV } };
  }
  const file = join(dataDir, 'api-token');
  const existing = await readToken(file);
  if (existing !== undefined) {
    // Kept to its owner, whatever a copy or an editor did to its mode.
    await chmod(file, 0o600);
    return { token: existing, source: { file, created: false } };
  }
  const token = randomBytes(32).toString('base64url');
  try {
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readToken(file);
    if (written === undefined) throw new ConfigurationError(`${file} exists but holds no token`);
    return { token: written, source: { file, created: false } };
  }
  return { token, source: { file, created: true } };
}

async function readToken(file: string): Promise<string | undefined> {
  try {
    const token = (await readFile(file, 'utf8')).trim();
    return token === '' ? undefined : token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
