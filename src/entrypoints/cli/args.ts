import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The flags every command takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'allow-network': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** Parses a command's arguments strictly: an unknown flag or a missing value is a `UsageError` naming it. */
export function parseCommandArgs<O extends Options>(
  command: string,
  args: readonly string[],
  options: O,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals };
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/**
 * Refuses arguments a command does not take (`feedrelay crawl now`, `feeds list extra`): a `UsageError` naming
 * the first stray one and the command's usage, rather than a silently ignored word.
 */
export function rejectStray(command: string, stray: readonly string[], usage: string): void {
  if (stray.length === 0) return;
  const [first] = stray;
  throw new UsageError(
    `${command}: unexpected argument ${JSON.stringify(first)}${stray.length > 1 ? ` (and ${stray.length - 1} more)` : ''}; usage: ${usage}`,
  );
}

/** A flag that must be a whole number within bounds. */
export function intFlag(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} expects a whole number, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** The allowed networks: every --allow-network plus FEEDRELAY_ALLOW_NETWORKS (comma-separated). */
export function allowedNetworks(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string[] {
  const fromFlags = (values['allow-network'] as string[] | undefined) ?? [];
  const fromEnv = (env.FEEDRELAY_ALLOW_NETWORKS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return [...fromEnv, ...fromFlags];
}
