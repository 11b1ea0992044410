import { resolve } from 'node:path';
import { ConfigurationError } from '../../../application/errors.js';
import { parseFaults } from '../../local/aws-faults.js';
import { InvalidNetworkError } from '../../../adapters/http/errors.js';
import { createLogger } from '../../logger.js';
import { openLocalApp, type LocalApp, type LocalAppOptions } from '../../local/local-app.js';
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

export async function openFromFlags(
  values: Record<string, unknown>,
  options: Partial<LocalAppOptions> = {},
): Promise<LocalApp> {
  let faults;
  try {
    faults = parseFaults(process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  }
  try {
    return await openLocalApp({
      dataDir: dataDirOf(values),
      allowedNetworks: allowedNetworks(values),
      faults,
      logger: createLogger(process.env.LOG_LEVEL ?? 'warn'),
      ...options,
    });
  } catch (error) {
    if (error instanceof InvalidNetworkError) throw new UsageError(error.message);
    throw error;
  }
}
