import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ContainerModule, type Container } from 'inversify';
import type { Logger } from 'pino';
import { join } from 'node:path';
import { LocalSecretCipher } from '../../adapters/crypto/local-secret-cipher.js';
import { createDocumentClient, DEFAULT_TABLE_PREFIX, tableNames } from '../../adapters/dynamodb/dynamodb-tables.js';
import { TOKENS } from '../../application/tokens.js';
import { faultRandom, injectAwsFaults, NO_FAULTS, type FaultSettings } from './aws-faults.js';
import { createTables } from './create-tables.js';
import { applicationModule } from '../container/application.module.js';
import { readRetention } from '../container/aws-config.js';
import { compose } from '../container/compose.js';
import { bindDynamoDbStores } from '../container/dynamodb.module.js';
import { systemModule } from '../container/system.module.js';
import { relaySettingsFromEnv } from '../lambda/lambda-settings.js';
import { lockDataDir } from './data-dir-lock.js';
import { LOCAL_VISIBILITY_TIMEOUT_SECONDS, localClientConfig, startEmbeddedDynamoDb } from './embedded-dynamodb.js';
import { sweepIfDue } from './ttl-sweep.js';

export interface LocalStoresOptions {
  /** The data directory whose tables to open; held by this process until `close`. */
  readonly dataDir: string;
  /** `aws` makes the DynamoDB requests fail now and then, as on the whole embedded stack. */
  readonly faults?: FaultSettings;
  readonly logger: Logger;
}

/**
 * The tables of a data directory and the use cases that only read and write them (feeds, subscriptions),
 * without the queues, the handlers and the runtime of `openLocalApp`: what managing feeds and subscriptions
 * needs, at a fraction of the start-up.
 */
export interface LocalStores {
  readonly container: Container;
  /** Stops DynamoDB and releases the data directory. */
  close(): Promise<void>;
}

/** The file of the data directory holding the key that seals webhook secrets (base64, mode 0600). */
export const SECRET_KEY_FILE = 'secret-key';

/** Opens the data directory's tables alone (DynamoDB on the embedded stack, created if missing). */
export async function openLocalStores(options: LocalStoresOptions): Promise<LocalStores> {
  const faults = options.faults ?? NO_FAULTS;
  const unlock = await lockDataDir(options.dataDir);
  const stops: (() => Promise<void>)[] = [unlock];
  const close = async (): Promise<void> => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const dynamo = await startEmbeddedDynamoDb(options.dataDir);
    stops.push(() => dynamo.close());
    const client = new DynamoDBClient({ ...localClientConfig(), endpoint: `http://127.0.0.1:${dynamo.port}` });
    stops.push(async () => client.destroy());
    const names = tableNames(DEFAULT_TABLE_PREFIX);
    await createTables(client, names);
    injectAwsFaults(client.middlewareStack, faults.aws, faultRandom(faults, 'aws'));
    const documentClient = createDocumentClient(client);
    // dynalite has no TTL: expired items are swept by whichever command opens the data directory first in a day.
    const swept = await sweepIfDue(options.dataDir, documentClient, names, new Date()).catch((error: unknown) =>
      options.logger.warn({ err: error }, 'the sweep of expired items failed; it runs again next time'),
    );
    if (swept && Object.keys(swept).length > 0) options.logger.info({ swept }, 'expired items swept');
    // Secrets are sealed under the data directory's key, as `openLocalApp` seals them.
    const cipher = await LocalSecretCipher.fromKeyFile(join(options.dataDir, SECRET_KEY_FILE));
    const container = compose(
      // The settings of `openLocalApp`, so that what is stored here is stored as a crawl would.
      applicationModule({
        leaseSeconds: LOCAL_VISIBILITY_TIMEOUT_SECONDS,
        deliveryBackoffSeconds: 5,
        ...relaySettingsFromEnv(process.env),
      }),
      new ContainerModule((bindings) => {
        bindDynamoDbStores(bindings, documentClient, names, readRetention(process.env));
        bindings.bind(TOKENS.SecretCipher).toConstantValue(cipher);
      }),
      systemModule(),
    );
    return { container, close };
  } catch (error) {
    await close();
    throw error;
  }
}
