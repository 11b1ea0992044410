import { readAwsConfig, type AwsConfig } from '../container/aws-config.js';
import { createLogger, type Logger } from '../logger.js';
import { readLambdaSettings, type LambdaSettings } from './lambda-settings.js';

/** What a function reads from its environment once per cold start: its settings, its resources, its logger. */
export interface LambdaEnvironment {
  readonly settings: LambdaSettings;
  readonly aws: AwsConfig;
  readonly logger: Logger;
}

/** Reads and validates `env`; a missing or malformed variable fails with a message that names it. */
export function readLambdaEnvironment(env: NodeJS.ProcessEnv): LambdaEnvironment {
  return {
    settings: readLambdaSettings(env),
    aws: readAwsConfig(env),
    logger: createLogger(env.LOG_LEVEL ?? 'info'),
  };
}

/**
 * A Lambda handler whose container `build` composes from the function's environment on the first invocation
 * (once per cold start) and keeps for every later one. A bad setting fails that first invocation.
 */
export function onColdStart<E, R>(
  build: (environment: LambdaEnvironment) => (event: E) => Promise<R>,
): (event: E) => Promise<R> {
  let handler: ((event: E) => Promise<R>) | undefined;
  return (event) => {
    handler ??= build(readLambdaEnvironment(process.env));
    return handler(event);
  };
}
