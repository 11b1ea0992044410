import type { MiddlewareStack } from '@smithy/types';
import { ConfigurationError } from '../../application/errors.js';

/** The faults the local runtime injects, each a share in [0, 1], drawn from PRNGs seeded with `seed`. */
export interface FaultSettings {
  /** Share of AWS requests failed with a retryable error before they are sent. */
  readonly aws: number;
  /** Share of received queue messages handed to the handler twice. */
  readonly duplicate: number;
  /** Share of handler invocations whose outcome is discarded after they ran: the whole batch comes back. */
  readonly crash: number;
  readonly seed: number;
}

export const FAULTS_VARIABLE = 'FEEDRELAY_FAULTS';

export const NO_FAULTS: FaultSettings = { aws: 0, duplicate: 0, crash: 0, seed: 1 };

const SHARES = ['aws', 'duplicate', 'crash'] as const;
type FaultKind = (typeof SHARES)[number];

/**
 * Reads `FEEDRELAY_FAULTS="aws=P,duplicate=P,crash=P,seed=N"` (every part optional; unset or empty: no faults).
 * Without a seed one is picked at random, and returned so that a run can be repeated.
 */
export function parseFaults(env: Readonly<Record<string, string | undefined>>): FaultSettings {
  const text = env[FAULTS_VARIABLE]?.trim() ?? '';
  const settings: { -readonly [K in keyof FaultSettings]?: number } = {};
  const fail = (reason: string): never => {
    throw new ConfigurationError(
      `${FAULTS_VARIABLE}=${JSON.stringify(text)} is malformed: ${reason} (expected e.g. "aws=0.1,duplicate=0.05,crash=0.05,seed=42")`,
    );
  };
  for (const part of text === '' ? [] : text.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\S+)\s*$/.exec(part);
    if (!match) fail(`"${part.trim()}" is not name=value`);
    const [, name, value] = match as unknown as [string, string, string];
    if (name in settings) fail(`"${name}" is given twice`);
    if (name === 'seed') {
      if (!/^\d+$/.test(value) || Number(value) > 0xffffffff)
        fail(`seed must be an integer from 0 to 4294967295, got "${value}"`);
      settings.seed = Number(value);
    } else if ((SHARES as readonly string[]).includes(name)) {
      const share = /^(\d+(\.\d*)?|\.\d+)$/.test(value) ? Number(value) : NaN;
      if (!(share >= 0 && share <= 1)) fail(`${name} must be a share from 0 to 1, got "${value}"`);
      settings[name as FaultKind] = share;
    } else {
      fail(`unknown fault "${name}" (known: aws, duplicate, crash, seed)`);
    }
  }
  return {
    aws: settings.aws ?? 0,
    duplicate: settings.duplicate ?? 0,
    crash: settings.crash ?? 0,
    seed: settings.seed ?? Math.floor(Math.random() * 0x100000000),
  };
}

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same sequence in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One independent stream per kind of fault, so that adding one kind does not shift the draws of another. */
export function faultRandom(settings: FaultSettings, kind: FaultKind): () => number {
  return mulberry32((settings.seed ^ Math.imul(SHARES.indexOf(kind) + 1, 0x9e3779b1)) >>> 0);
}

/**
 * The error an injected fault fails a request with. The SDK's standard retry strategy classifies it as a
 * transient error (`$retryable`) and retries it with its short back-off; a throttling error would be retried
 * too, but from a one-second base, which only makes local runs slow.
 */
export class InjectedAwsFaultError extends Error {
  readonly $fault = 'server' as const;
  readonly $retryable = { throttling: false };
  readonly $metadata: { httpStatusCode?: number; attempts?: number } = {};

  constructor(operation: string) {
    super(`injected fault: ${operation} failed before it was sent (${FAULTS_VARIABLE})`);
    this.name = 'InjectedAwsFault';
  }
}

/**
 * Fails a share of a client's requests before they are sent, inside the SDK's retry loop (so the SDK retries
 * them as it would a real transient failure) and outside the request counter (so they are not counted).
 */
export function injectAwsFaults<I extends object, O extends object>(
  stack: MiddlewareStack<I, O>,
  share: number,
  random: () => number,
): void {
  if (share <= 0) return;
  stack.add(
    (next, context) => async (args) => {
      if (random() < share) {
        throw new InjectedAwsFaultError(`${context.clientName ?? 'client'}.${context.commandName ?? 'command'}`);
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'feedrelayFaultInjection', override: true },
  );
}
