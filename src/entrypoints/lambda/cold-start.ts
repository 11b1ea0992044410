import { EmfRelayMetrics } from '../../adapters/cloudwatch/emf-relay-metrics.js';
import { ConfigurationError } from '../../application/errors.js';
import { readAwsConfig, type AwsConfig } from '../container/aws-config.js';
import { createLogger, type Logger } from '../logger.js';
import { readLambdaSettings, STAGE_VARIABLE, type LambdaSettings } from './lambda-settings.js';

export { STAGE_VARIABLE } from './lambda-settings.js';
/** The stage of a function whose environment names none. */
export const DEFAULT_STAGE = 'feedrelay';

/** What a function reads from its environment once per cold start: its settings, its resources, its logger. */
export interface LambdaEnvironment {
  readonly settings: LambdaSettings;
  readonly aws: AwsConfig;
  readonly logger: Logger;
  /** The relay metrics of the current invocation, written to the log as one EMF document when it ends. */
  readonly metrics: EmfRelayMetrics;
}

/** Reads and validates `env`; a missing or malformed variable fails with a message that names it. */
export function readLambdaEnvironment(env: NodeJS.ProcessEnv): LambdaEnvironment {
  const logger = createLogger(env.LOG_LEVEL ?? 'info');
  return {
    settings: readLambdaSettings(env),
    aws: readAwsConfig(env),
    logger,
    metrics: new EmfRelayMetrics(readStage(env), (document) => logger.info(document, 'relay metrics')),
  };
}

/** The stage name: letters, digits, `-` and `_`, at most 64 (a CloudWatch dimension value). */
export function readStage(env: NodeJS.ProcessEnv): string {
  const stage = env[STAGE_VARIABLE] ?? DEFAULT_STAGE;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stage)) {
    throw new ConfigurationError(
      `${STAGE_VARIABLE} must be 1 to 64 letters, digits, "-" or "_", got ${JSON.stringify(stage)}`,
    );
  }
  return stage;
}

/**
 * A Lambda handler whose container `build` composes from the function's environment on the first invocation
 * (once per cold start) and keeps for every later one. A bad setting fails that first invocation. Whatever an
 * invocation counted is written when it ends, failed or not (one log line).
 */
export function onColdStart<E, R>(
  build: (environment: LambdaEnvironment) => (event: E) => Promise<R>,
  readEnvironment: () => LambdaEnvironment = () => readLambdaEnvironment(process.env),
): (event: E) => Promise<R> {
  let built: { handler: (event: E) => Promise<R>; metrics: EmfRelayMetrics } | undefined;
  return async (event) => {
    if (built === undefined) {
      const environment = readEnvironment();
      built = { handler: build(environment), metrics: environment.metrics };
    }
    try {
      return await built.handler(event);
    } finally {
      built.metrics.flush();
    }
  };
}
