import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Where a secret could stand in what is logged: a subscription's or a recipient's secrets, at the top of a
 * log record or one or two levels down (a message, its recipients, a notification's subscription). They are
 * sealed wherever they travel; the redaction keeps even a sealed or legacy plain one out of the logs.
 */
export const REDACTED_PATHS: readonly string[] = [
  'secret',
  'previousSecret',
  '*.secret',
  '*.previousSecret',
  '*.*.secret',
  '*.*.previousSecret',
  'recipients[*].secret',
  'recipients[*].previousSecret',
  '*.recipients[*].secret',
  '*.recipients[*].previousSecret',
];

/** The options of every feedrelay logger: its level, its service name, the secrets it never prints. */
export function loggerOptions(level: string): LoggerOptions {
  return { level, base: { service: 'feedrelay' }, redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } };
}

/**
 * Logs go to stderr as JSON lines, so that stdout stays free for a command's one JSON document: by default
 * straight to file descriptor 2, synchronously; the CLI's commands pass `process.stderr`, where their notes go.
 */
export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination: DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  return pino(loggerOptions(level), destination);
}

export type { Logger };
