import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ManagementApiError } from '../../../adapters/management-api/errors.js';
import { ManagementApiClient } from '../../../adapters/management-api/management-api-client.js';
import { BearerTokenSigner, type RequestSigner } from '../../../adapters/management-api/request-signers.js';
import { OperationError, UsageError } from '../cli-errors.js';
import type { ManagementClient } from './management-client.js';
import { RemoteManagementClient } from './remote-management-client.js';

/** The flags of the commands that work on either target. */
export const TARGET_OPTIONS = {
  target: { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  token: { type: 'string' },
} as const;

export const TARGET_USAGE = '[--target aws --stack NAME [--region R] | --target http://HOST:PORT [--token T]]';

/** Where a management command works. */
export type Target =
  | { readonly kind: 'local' }
  | {
      readonly kind: 'http';
      readonly url: URL;
      /** The token and where it came from, when a flag or the environment gave one. */
      readonly token?: { readonly value: string; readonly from: '--token' | 'FEEDRELAY_API_TOKEN' };
    }
  | { readonly kind: 'aws'; readonly stack: string; readonly region?: string };

/** Each exchange with a remote API is bounded by this. */
export const API_TIMEOUT_MS = 30_000;

/**
 * The target of a command from its flags, else `FEEDRELAY_TARGET` / `FEEDRELAY_STACK` / `FEEDRELAY_API_TOKEN`:
 * `local` (the default: the embedded stack in the data directory), `aws` (a deployed stack, found by name), or
 * the `http(s)://` URL of a running `feedrelay serve`. A flag that does not fit the target is a `UsageError`
 * naming it.
 */
export function targetOf(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Target {
  const flag = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const given = flag('target') ?? (env.FEEDRELAY_TARGET?.trim() || undefined);
  const target = given ?? 'local';
  const refuse = (name: string, what: string) => {
    if (flag(name) !== undefined) throw new UsageError(`--${name} is for ${what}; the target is ${target}`);
  };
  if (target === 'local') {
    refuse('stack', '--target aws');
    refuse('region', '--target aws');
    refuse('token', '--target http://HOST:PORT');
    return { kind: 'local' };
  }
  if (target === 'aws') {
    refuse('token', '--target http://HOST:PORT');
    if (values['data-dir'] !== undefined)
      throw new UsageError('--data-dir is for the embedded stack, not --target aws');
    const stack = flag('stack') ?? (env.FEEDRELAY_STACK?.trim() || undefined);
    if (!stack) throw new UsageError('--target aws needs --stack NAME (or FEEDRELAY_STACK): the deployed stack');
    const region = flag('region');
    return { kind: 'aws', stack, ...(region ? { region } : {}) };
  }
  if (/^https?:\/\//i.test(target)) {
    refuse('stack', '--target aws');
    refuse('region', '--target aws');
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new UsageError(`--target: not a URL: ${JSON.stringify(target)}`);
    }
    // A bearer token in clear text may cross this machine's loopback only.
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      throw new UsageError(
        `--target: plain http sends the API token in clear text; it is for loopback (127.0.0.1, ::1, localhost) only, use https for ${url.host}`,
      );
    }
    const fromFlag = flag('token');
    const token = fromFlag
      ? ({ value: fromFlag, from: '--token' } as const)
      : env.FEEDRELAY_API_TOKEN
        ? ({ value: env.FEEDRELAY_API_TOKEN, from: 'FEEDRELAY_API_TOKEN' } as const)
        : undefined;
    return { kind: 'http', url, ...(token ? { token } : {}) };
  }
  throw new UsageError(
    `--target: expected local, aws or the http://HOST:PORT of feedrelay serve, got ${JSON.stringify(target)}`,
  );
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Opens the management client for the command's target, runs `work`, and closes it whatever happens. Failures
 * of a remote API become the CLI's errors (exit 1, `{"error": …}` under --json), a missing region bad usage.
 */
export async function withManagementClient<T>(
  values: Record<string, unknown>,
  work: (client: ManagementClient) => Promise<T>,
): Promise<T> {
  const target = targetOf(values);
  const client = await openClient(target, values).catch(rethrown);
  try {
    return await work(client).catch((error: unknown) => {
      if (target.kind === 'local' && (error as { code?: unknown }).code === 'data_dir_busy') {
        throw new OperationError(
          'data_dir_busy',
          `${(error as Error).message}; to work through a running serve: --target http://127.0.0.1:PORT`,
        );
      }
      return rethrown(error);
    });
  } finally {
    await client.close();
  }
}

async function openClient(target: Target, values: Record<string, unknown>): Promise<ManagementClient> {
  if (target.kind === 'local') {
    // The embedded stack is loaded only when it is the target; one import after the other, as the two share most
    // of their modules (Jest's module loader fails two concurrent imports of one graph).
    const { openFromFlags, openStoresFromFlags } = await import('../commands/local.js');
    const { LocalManagementClient } = await import('./local-management-client.js');
    return new LocalManagementClient(
      () => openStoresFromFlags(values),
      () => openFromFlags(values),
    );
  }
  if (target.kind === 'http') {
    return new RemoteManagementClient(
      new ManagementApiClient(target.url, await bearerSigner(target, values), { timeoutMs: API_TIMEOUT_MS }),
    );
  }
  // The AWS SDK is loaded only when the target is AWS.
  const { stackApi } = await import('./aws-target.js');
  const { url, signer } = await stackApi(target.stack, target.region, API_TIMEOUT_MS);
  return new RemoteManagementClient(new ManagementApiClient(url, signer, { timeoutMs: API_TIMEOUT_MS }));
}

/** The token: --token, else FEEDRELAY_API_TOKEN, else the one `serve` wrote into the data directory. */
async function bearerSigner(
  target: Extract<Target, { kind: 'http' }>,
  values: Record<string, unknown>,
): Promise<RequestSigner> {
  if (target.token) return new BearerTokenSigner(target.token.value, `the API token from ${target.token.from}`);
  const { dataDirOf } = await import('../commands/local.js');
  const file = path.join(dataDirOf(values), 'api-token');
  let token: string;
  try {
    token = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new UsageError(
      `--target ${target.url.origin}: no API token: pass --token, set FEEDRELAY_API_TOKEN, or point --data-dir ` +
        `at the directory of "feedrelay serve" (cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  if (!token) throw new UsageError(`${file} is empty: pass --token or set FEEDRELAY_API_TOKEN`);
  return new BearerTokenSigner(token, `the API token from ${file}`);
}

function rethrown(error: unknown): never {
  if (error instanceof ManagementApiError) {
    if (error.code === 'no_region') throw new UsageError(error.message);
    throw new OperationError(error.code, error.message, error.status !== undefined ? { status: error.status } : {});
  }
  throw error;
}
