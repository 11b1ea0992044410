import { pino, type Logger } from 'pino';

/** Logs go to stderr as JSON lines, so that stdout stays free for a command's one JSON document. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'feedrelay' } }, pino.destination({ fd: 2, sync: true }));
}

export type { Logger };
