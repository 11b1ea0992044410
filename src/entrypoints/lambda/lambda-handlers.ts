import { applicationModule } from '../container/application.module.js';
import { awsModule, readAwsConfig } from '../container/aws.module.js';
import { compose } from '../container/compose.js';
import { httpModule, parsingModule, systemModule, webhookModule } from '../container/runtime.module.js';
import { createLogger } from '../logger.js';
import { createHandlers, type Handlers } from './handlers.js';
import { readLambdaSettings } from './lambda-settings.js';

let handlers: Handlers | undefined;

/**
 * The handlers of this Lambda instance: the container is built from the function's environment on the first
 * call (once per cold start) and kept for every later invocation. A bad setting fails that first call.
 */
export function lambdaHandlers(): Handlers {
  handlers ??= buildLambdaHandlers(process.env);
  return handlers;
}

/** The AWS adapters plus HTTP fetching, parsing and webhook delivery, under the settings `env` names. */
export function buildLambdaHandlers(env: NodeJS.ProcessEnv): Handlers {
  const settings = readLambdaSettings(env);
  const container = compose(
    applicationModule(settings.relay),
    awsModule(readAwsConfig(env)),
    httpModule(settings.fetch),
    parsingModule(),
    webhookModule(settings.webhook),
    systemModule(),
  );
  return createHandlers(container, createLogger(env.LOG_LEVEL ?? 'info'));
}
