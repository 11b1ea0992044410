import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FeedrelayError } from '../../domain/errors.js';

/** Another feedrelay process holds the data directory (LevelDB allows one at a time). */
export class DataDirBusyError extends FeedrelayError {
  readonly code = 'data_dir_busy';

  constructor(dataDir: string, holder: string) {
    super(`the data directory ${dataDir} is in use by ${holder} (a running "feedrelay serve"?)`);
    this.name = 'DataDirBusyError';
  }
}

/** The data directory cannot be used: not a directory, not writable, or its store is corrupt. */
export class DataDirUnusableError extends FeedrelayError {
  readonly code = 'data_dir_unusable';

  constructor(
    readonly dataDir: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`the data directory ${dataDir} cannot be used: ${reason}`, options);
    this.name = 'DataDirUnusableError';
  }
}

/** Why a file system call on `path` failed, in words, for a `DataDirUnusableError`. */
export function fileSystemReason(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EEXIST':
      return `${path} exists and is not a directory`;
    case 'ENOTDIR':
      return `a part of the path ${path} is a file, not a directory`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${path} (${code})`;
    case 'EROFS':
      return `${path} is on a read-only file system (EROFS)`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `no space left for ${path} (${code})`;
    default:
      return `${path}: ${code ?? (error as Error).message}`;
  }
}

/** Who holds a lock: enough to tell, on the same machine, whether that very process still runs. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** The kernel's boot id (Linux): a lock from before a reboot is stale whatever its pid. */
  readonly bootId?: string;
  /** The process's start time in clock ticks since boot (Linux `/proc/<pid>/stat`): a reused pid has another. */
  readonly startTime?: string;
  /** Random per lock: tells our own lock from another one naming the same pid. */
  readonly token: string;
}

/** A holder on another host (or where its start time cannot be read) is stale when it has not beaten for this long. */
export const LOCK_STALE_AFTER_MS = 30_000;
const HEARTBEAT_MS = 10_000;

/** What the machine answers about processes; replaced in tests. */
export interface ProcessTable {
  readonly host: string;
  readonly bootId: string | undefined;
  readonly pid: number;
  /** The start time of `pid`, or undefined when it does not run or cannot be read. */
  startTime(pid: number): string | undefined;
  alive(pid: number): boolean;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export const systemProcessTable: ProcessTable = {
  host: hostname(),
  bootId: readOrUndefined('/proc/sys/kernel/random/boot_id'),
  pid: process.pid,
  startTime(pid) {
    const stat = readOrUndefined(`/proc/${pid}/stat`);
    // Field 22; the command name (field 2) is in parentheses and may hold spaces, so count after its end.
    return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  },
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

/** A lock file's holder; a bare pid is the format of earlier versions. Undefined when it cannot be read. */
function parseHolder(text: string): LockHolder | undefined {
  if (/^\d+$/.test(text.trim())) return { pid: Number(text.trim()), host: '', token: '' };
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string' || typeof value.token !== 'string') {
      return undefined;
    }
    return value as LockHolder;
  } catch {
    return undefined;
  }
}

/**
 * Whether the holder of a lock may still run. On the same host and boot, the process named must run with the
 * same start time (a reused pid, like a container's PID 1 after a restart, has another); where the start time
 * cannot be read, and for a holder on another host, only a heartbeat newer than `LOCK_STALE_AFTER_MS` counts.
 */
export function holderMayRun(holder: LockHolder, heartbeatAgeMs: number, table: ProcessTable): boolean {
  const beating = heartbeatAgeMs < LOCK_STALE_AFTER_MS;
  if (holder.host === '') {
    // Earlier versions wrote the pid alone (and no heartbeat) on this host: our own pid is not ours to hold.
    return holder.pid !== table.pid && table.alive(holder.pid);
  }
  if (holder.host !== table.host) return beating;
  if (holder.bootId && table.bootId && holder.bootId !== table.bootId) return false;
  if (!table.alive(holder.pid)) return false;
  const running = table.startTime(holder.pid);
  if (holder.startTime !== undefined && running !== undefined) return holder.startTime === running;
  return holder.pid !== table.pid && beating;
}

function describeHolder(holder: LockHolder): string {
  return `process ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}`;
}

/**
 * Takes the data directory for this process: a lock file naming this process (pid, start time, host, boot),
 * created atomically and touched every few seconds while held. A lock whose holder no longer runs is taken
 * over (see `holderMayRun`). Errors of the directory itself (a file in its place, no permission, a read-only
 * file system) are a `DataDirUnusableError` naming it. Returns the release function.
 */
export async function lockDataDir(
  dataDir: string,
  table: ProcessTable = systemProcessTable,
): Promise<() => Promise<void>> {
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (error) {
    throw new DataDirUnusableError(dataDir, fileSystemReason(error, dataDir), { cause: error });
  }
  const info = await stat(dataDir);
  if (!info.isDirectory()) throw new DataDirUnusableError(dataDir, `${dataDir} is not a directory`);

  const path = join(dataDir, 'feedrelay.lock');
  const me: LockHolder = {
    pid: table.pid,
    host: table.host,
    ...(table.bootId ? { bootId: table.bootId } : {}),
    ...(table.startTime(table.pid) !== undefined ? { startTime: table.startTime(table.pid)! } : {}),
    token: randomBytes(12).toString('hex'),
  };
  const mine = JSON.stringify(me);
  const draft = `${path}.${me.token}`;
  try {
    await writeFile(draft, mine, { flag: 'wx' });
  } catch (error) {
    throw new DataDirUnusableError(dataDir, `${fileSystemReason(error, dataDir)}: cannot create files in it`, {
      cause: error,
    });
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // A hard link appears whole or not at all: nobody ever reads a half-written lock.
        await link(draft, path);
        return holding(path, mine);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new DataDirUnusableError(dataDir, fileSystemReason(error, path), { cause: error });
        }
      }
      const seen = await readLock(path);
      if (seen === undefined) continue;
      const holder = parseHolder(seen.text);
      if (holder && holderMayRun(holder, Date.now() - seen.mtimeMs, table)) {
        throw new DataDirBusyError(dataDir, describeHolder(holder));
      }
      await takeOver(path, seen.text, me.token);
    }
    throw new DataDirUnusableError(dataDir, `the lock ${path} keeps changing hands; try again`);
  } finally {
    await rm(draft, { force: true });
  }
}

async function readLock(path: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, mtimeMs: info.mtimeMs };
  } catch {
    return undefined;
  }
}

/**
 * Moves a stale lock aside. Another process may have taken it over in between and put its own lock in its
 * place: then that one is put back, and the next attempt finds it held.
 */
async function takeOver(path: string, staleText: string, token: string): Promise<void> {
  const aside = `${path}.stale-${token}`;
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  const moved = await readFile(aside, 'utf8').catch(() => staleText);
  if (moved !== staleText) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}

/** Keeps the lock's heartbeat while held; the release removes it only if it is still ours. */
function holding(path: string, mine: string): () => Promise<void> {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === mine) await rm(path, { force: true });
  };
}
