import { resolve } from 'node:path';
import { ConfigurationError } from '../../../application/errors.js';
import { parseFaults } from '../../local/aws-faults.js';
import { InvalidNetworkError } from '../../../adapters/http/errors.js';
import { parseAllowedNetworks } from '../../../adapters/http/network-guard.js';
import { createLogger } from '../../logger.js';
import type { LocalApp, LocalAppOptions } from '../../local/local-app.js';
import { openLocalStores, type LocalStores } from '../../local/local-stores.js';
import { allowedNetworks } from '../args.js';
import { UsageError } from '../cli-errors.js';

/** The data directory: --data-dir, else `.feedrelay/` in the working directory. */
export function dataDirOf(values: Record<string, unknown>): string {
  return resolve(typeof values['data-dir'] === 'string' ? values['data-dir'] : '.feedrelay');
}

/** Opens the embedded stack for one command, runs `work`, and closes it again whatever happens. */
export async function withLocalApp<T>(
  values: Record<string, unknown>,
  work: (app: LocalApp) => Promise<T>,
  options: Partial<LocalAppOptions> = {},
): Promise<T> {
  const app = await openFromFlags(values, options);
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

/**
 * Opens the data directory's tables alone, for commands that only manage feeds or subscriptions: no queues, no
 * runtime, a quicker start than `openFromFlags`. The caller closes them.
 */
export async function openStoresFromFlags(values: Record<string, unknown>): Promise<LocalStores> {
  const faults = faultsFromEnv();
  try {
    // The flags are checked as every command checks them, although nothing here is fetched.
    parseAllowedNetworks(allowedNetworks(values));
  } catch (error) {
    if (error instanceof InvalidNetworkError) throw new UsageError(error.message);
    throw error;
  }
  return openLocalStores({
    dataDir: dataDirOf(values),
    faults,
    logger: commandLogger(),
  });
}

/**
 * A one-shot command logs warnings only, on `process.stderr` beside its notes (synchronous for files, pipes and
 * terminals on Linux), so that whoever runs the command in-process captures both.
 */
function commandLogger() {
  return createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr);
}

function faultsFromEnv() {
  try {
    return parseFaults(process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  }
}

export async function openFromFlags(
  values: Record<string, unknown>,
  options: Partial<LocalAppOptions> = {},
): Promise<LocalApp> {
  const faults = faultsFromEnv();
  // Loaded when a command needs the whole local app: `openStoresFromFlags` does without its queues and runtime.
  const { openLocalApp } = await import('../../local/local-app.js');
  try {
    return await openLocalApp({
      dataDir: dataDirOf(values),
      allowedNetworks: allowedNetworks(values),
      faults,
      logger: commandLogger(),
      ...options,
    });
  } catch (error) {
    if (error instanceof InvalidNetworkError) throw new UsageError(error.message);
    throw error;
  }
}
