import { join } from 'node:path';
import { ContainerModule, type Container } from 'inversify';
import { SECRET_KEY_FILE } from './local-stores.js';
import { LocalSecretCipher } from '../../adapters/crypto/local-secret-cipher.js';
import type { Logger } from 'pino';
import type { RelaySettings } from '../../application/settings.js';
import { NO_FAULTS, type FaultSettings } from './aws-faults.js';
import type { AwsRequestCounter } from './aws-request-counter.js';
import type { HttpFetchOptions } from '../../adapters/http/tokens.js';
import { applicationModule } from '../container/application.module.js';
import { readRetention } from '../container/aws-config.js';
import { localModule } from './local-module.js';
import { compose } from '../container/compose.js';
import {
  httpModule,
  parsingModule,
  sinkAddressModule,
  systemModule,
  webhookModule,
} from '../container/runtime.module.js';
import { sqsSinkModule } from '../container/sqs-sink.module.js';
import { TOKENS } from '../../application/tokens.js';
import { ResumeRun, type ResumeReport } from '../../application/use-cases/resume-run.js';
import { SqsWorkDispatcher } from '../../adapters/sqs/sqs-work-dispatcher.js';
import { createHandlers, type Handlers, type SqsHandler } from '../lambda/handlers.js';
import { relaySettingsFromEnv } from '../lambda/lambda-settings.js';
import { createLogger } from '../logger.js';
import { localQueueOrigins, startEmbeddedStack, type EmbeddedStack } from './embedded-stack.js';
import { lockDataDir } from './data-dir-lock.js';
import { createLambdaRuntime, type LambdaRuntime } from './lambda-runtime.js';
import { localDeadLetters } from './dead-letter-file.js';
import { ParkingLot, ParkingWorkDispatcher } from './parking-lot.js';
import { sweepIfDue } from './ttl-sweep.js';

/** How many of the latest runs a start of the embedded stack looks after. */
const RUNS_RECOVERED = 20;

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
  /**
   * Resumes the runs an earlier process left unfinished (it died with the work in its queues): sends their lost
   * work again, to be done once the runtime runs. Returns the runs it resumed.
   */
  recover(): Promise<ResumeReport[]>;
  /**
   * Stops the runtime (no new work; invocations in flight may finish, for at most `graceMs` when given), then
   * the stack, and releases the data directory. Invocations cut off are logged; their messages are lost with
   * the in-memory queues (what they had recorded stays).
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** How long a stopping process waits, by default, for the handler invocations in flight to finish. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

export { SECRET_KEY_FILE } from './local-stores.js';

/** The time one fetch or delivery may take: 80 % of the lease. */
function stepTimeoutMs(stack: EmbeddedStack): number {
  return Math.floor(stack.visibilityTimeoutSeconds * 800);
}

export async function openLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const logger = options.logger ?? createLogger();
  const unlock = await lockDataDir(options.dataDir);
  let stack: EmbeddedStack;
  try {
    stack = await startEmbeddedStack({ dataDir: options.dataDir, faults: options.faults ?? NO_FAULTS });
  } catch (error) {
    await unlock();
    throw error;
  }
  try {
    const parking = new ParkingLot(join(options.dataDir, 'parked'));
    // Dead letters are kept in the data directory: the handlers park there, and what the queues' redrive
    // policies dead-letter in memory is moved there by the runtime.
    const deadLetters = localDeadLetters(options.dataDir, stack);
    // Secrets are sealed under a key of the data directory (KMS stands in for it in AWS).
    const cipher = await LocalSecretCipher.fromKeyFile(join(options.dataDir, SECRET_KEY_FILE));
    const container = compose(
      applicationModule({
        // A claimed step is held no longer than a failed message stays invisible, so its retry can take it over.
        leaseSeconds: stack.visibilityTimeoutSeconds,
        deliveryBackoffSeconds: 5,
        ...relaySettingsFromEnv(process.env),
        ...options.settings,
      }),
      localModule(stack, readRetention(process.env)),
      new ContainerModule(({ bind, rebind }) => {
        bind(SqsWorkDispatcher).toSelf().inSingletonScope();
        rebind(TOKENS.WorkDispatcher)
          .toResolvedValue((sqs: SqsWorkDispatcher) => new ParkingWorkDispatcher(sqs, parking), [SqsWorkDispatcher])
          .inSingletonScope();
        bind(TOKENS.DeadLetters).toConstantValue(deadLetters);
        bind(TOKENS.SecretCipher).toConstantValue(cipher);
      }),
      parsingModule(),
      // A fetch or a delivery ends well inside its step's lease (the visibility time-out), so that a
      // duplicate of its message never finds the lease run out while the work is still going on.
      httpModule({
        timeoutMs: stepTimeoutMs(stack),
        ...options.fetch,
        allowedNetworks: options.allowedNetworks,
      }),
      webhookModule({
        timeoutMs: options.webhookTimeoutMs ?? stepTimeoutMs(stack),
        allowedNetworks: options.allowedNetworks,
      }),
      // Subscriptions are refused at creation when deliveries could not reach them.
      sinkAddressModule({ allowedNetworks: options.allowedNetworks }),
      // Subscribers' queues on the embedded stack's SQS (fauxqs).
      sqsSinkModule({ localOrigins: localQueueOrigins(stack), clientFor: () => stack.sqs }),
      systemModule(),
    );
    const handlers = createHandlers(container, logger);
    // A parked message is forgotten once a handler has taken it successfully.
    const releasing =
      (handler: SqsHandler): SqsHandler =>
      async (event) => {
        const response = await handler(event);
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        for (const record of event.Records) if (!failed.has(record.messageId)) await parking.release(record.body);
        return response;
      };
    const runtime = createLambdaRuntime(
      stack,
      {
        scanFeeds: handlers.scanFeeds,
        fetchFeed: handlers.fetchFeed,
        startFanOut: handlers.startFanOut,
        scanSubscribers: handlers.scanSubscribers,
        deliver: releasing(handlers.deliver),
      },
      { concurrency: options.concurrency, logger, keepDeadLetters: deadLetters },
    );
    // The embedded stack's queues live in this process: a run left active by an earlier one has lost its work
    // (`recover` sends it again), and must not keep the next run from starting.
    await container.get(TOKENS.RunStore).abandonActive();
    // dynalite has no TTL: expired articles and run records are swept here, once a day at most.
    const swept = await sweepIfDue(options.dataDir, stack.documentClient, stack.tableNames, new Date()).catch(
      (error: unknown) => logger.warn({ err: error }, 'the sweep of expired items failed; it runs again next time'),
    );
    if (swept && Object.keys(swept).length > 0) logger.info({ swept }, 'expired items swept');
    const resumed = await parking.resume(container.get(SqsWorkDispatcher), Date.now());
    if (resumed > 0) logger.info({ resumed }, 'parked retries sent again');
    stack.counter.reset();
    return {
      stack,
      container,
      handlers,
      runtime,
      requests: stack.counter,
      logger,
      async recover() {
        const runs = await container.get(TOKENS.RunStore).list(RUNS_RECOVERED);
        const reports: ResumeReport[] = [];
        for (const run of runs.filter((r) => !r.finished)) {
          // This process holds the data directory: whoever held the run's steps has died with its queues.
          const report = await container.get(ResumeRun).execute(run.id, { holdersGone: true });
          if (report.resumed) {
            logger.info({ ...report }, `run ${run.id} was left unfinished: its lost work is sent again`);
            reports.push(report);
          }
        }
        return reports;
      },
      async close(closing: { graceMs?: number } = {}) {
        const { abandoned } = await runtime.stop(closing);
        if (abandoned > 0) {
          logger.warn(
            { abandoned },
            `${abandoned} invocation(s) still running after ${closing.graceMs} ms were cut off`,
          );
        }
        await stack.stop();
        await unlock();
      },
    };
  } catch (error) {
    await stack.stop();
    await unlock();
    throw error;
  }
}
