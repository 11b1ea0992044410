import type { Container } from 'inversify';
import type { Logger } from 'pino';
import type { RelaySettings } from '../../application/settings.js';
import { NO_FAULTS, type FaultSettings } from '../../adapters/aws-faults.js';
import type { AwsRequestCounter } from '../../adapters/aws-request-counter.js';
import type { HttpFetchOptions } from '../../adapters/http/tokens.js';
import { applicationModule } from '../container/application.module.js';
import { localModule } from '../container/aws.module.js';
import { compose } from '../container/compose.js';
import { httpModule, parsingModule, systemModule, webhookModule } from '../container/runtime.module.js';
import { createHandlers, type Handlers } from '../lambda/handlers.js';
import { createLogger } from '../logger.js';
import { startEmbeddedStack, type EmbeddedStack } from './embedded-stack.js';
import { createLambdaRuntime, type LambdaRuntime } from './lambda-runtime.js';

export interface LocalAppOptions {
  /** Where the embedded stack keeps its tables. */
  readonly dataDir: string;
  /** CIDRs that feeds and webhooks may reach although they are internal (loopback, private, …). */
  readonly allowedNetworks: readonly string[];
  /** Invocations at once per queue. */
  readonly concurrency?: number;
  readonly faults?: FaultSettings;
  readonly fetch?: Omit<HttpFetchOptions, 'allowedNetworks'>;
  readonly webhookTimeoutMs?: number;
  readonly settings?: Partial<RelaySettings>;
  readonly logger?: Logger;
}

/**
 * feedrelay on one machine: the embedded stack, the container with the same adapters as in AWS (but the
 * in-process event bus), the same Lambda handlers, and the runtime that drives them from the queues.
 */
export interface LocalApp {
  readonly stack: EmbeddedStack;
  readonly container: Container;
  readonly handlers: Handlers;
  readonly runtime: LambdaRuntime;
  readonly requests: AwsRequestCounter;
  readonly logger: Logger;
  close(): Promise<void>;
}

export async function openLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const logger = options.logger ?? createLogger();
  const stack = await startEmbeddedStack({ dataDir: options.dataDir, faults: options.faults ?? NO_FAULTS });
  try {
    const container = compose(
      applicationModule({
        // A claimed step is held no longer than a failed message stays invisible, so its retry can take it over.
        leaseSeconds: stack.visibilityTimeoutSeconds,
        deliveryBackoffSeconds: 5,
        ...options.settings,
      }),
      localModule(stack),
      parsingModule(),
      httpModule({ ...options.fetch, allowedNetworks: options.allowedNetworks }),
      webhookModule({ timeoutMs: options.webhookTimeoutMs ?? 10_000, allowedNetworks: options.allowedNetworks }),
      systemModule(),
    );
    const handlers = createHandlers(container, logger);
    const runtime = createLambdaRuntime(
      stack,
      {
        scanFeeds: handlers.scanFeeds,
        fetchFeed: handlers.fetchFeed,
        startFanOut: handlers.startFanOut,
        scanSubscribers: handlers.scanSubscribers,
        deliver: handlers.deliver,
      },
      { concurrency: options.concurrency, logger },
    );
    return {
      stack,
      container,
      handlers,
      runtime,
      requests: stack.counter,
      logger,
      async close() {
        await runtime.stop();
        await stack.stop();
      },
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
