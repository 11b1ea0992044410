import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataDirBusyError,
  DataDirUnusableError,
  fileSystemReason,
  holderMayRun,
  LOCK_STALE_AFTER_MS,
  lockDataDir,
  systemProcessTable,
  type LockHolder,
  type ProcessTable,
} from '../../src/entrypoints/local/data-dir-lock.js';
import { startEmbeddedStack } from '../../src/entrypoints/local/embedded-stack.js';

/** A machine whose process table a test writes: pid → start time of the processes that run. */
function machine(running: Record<number, string>, overrides: Partial<ProcessTable> = {}): ProcessTable {
  return {
    host: 'box',
    bootId: 'boot-1',
    pid: 1,
    startTime: (pid) => running[pid],
    alive: (pid) => pid in running,
    ...overrides,
  };
}

const holder = (fields: Partial<LockHolder> = {}): LockHolder => ({
  pid: 1,
  host: 'box',
  bootId: 'boot-1',
  startTime: '100',
  token: 'old',
  ...fields,
});

describe('holderMayRun', () => {
  it('a lock naming our own pid with another start time is stale: the pid was reused (a container restarted)', () => {
    expect(holderMayRun(holder({ pid: 1, startTime: '100' }), 0, machine({ 1: '555' }))).toBe(false);
  });

  it('a holder that runs with the start time it wrote may still run', () => {
    expect(holderMayRun(holder({ pid: 42, startTime: '100' }), 0, machine({ 1: '555', 42: '100' }))).toBe(true);
  });

  it('a holder whose pid runs with another start time, or does not run, is stale', () => {
    expect(holderMayRun(holder({ pid: 42 }), 0, machine({ 1: '555', 42: '999' }))).toBe(false);
    expect(holderMayRun(holder({ pid: 42 }), 0, machine({ 1: '555' }))).toBe(false);
  });

  it('a holder from before a reboot is stale whatever its pid', () => {
    expect(holderMayRun(holder({ pid: 42, bootId: 'boot-0' }), 0, machine({ 1: '555', 42: '100' }))).toBe(false);
  });

  it('a holder on another host counts by its heartbeat only', () => {
    const elsewhere = holder({ host: 'other' });
    expect(holderMayRun(elsewhere, 1_000, machine({ 1: '555' }))).toBe(true);
    expect(holderMayRun(elsewhere, LOCK_STALE_AFTER_MS + 1, machine({ 1: '555' }))).toBe(false);
  });

  it('where start times cannot be read, a live pid counts while its heartbeat is fresh', () => {
    const noProc = machine({}, { alive: (pid) => pid === 42 || pid === 1, startTime: () => undefined });
    const unknown = holder({ pid: 42, startTime: undefined });
    expect(holderMayRun(unknown, 1_000, noProc)).toBe(true);
    expect(holderMayRun(unknown, LOCK_STALE_AFTER_MS + 1, noProc)).toBe(false);
    expect(holderMayRun(holder({ pid: 1, startTime: undefined }), 1_000, noProc)).toBe(false);
  });

  it('a lock of an earlier version (a bare pid) is stale when it names our pid or a dead one', () => {
    const legacy = { pid: 1, host: '', token: '' };
    expect(holderMayRun(legacy, 0, machine({ 1: '555' }))).toBe(false);
    expect(holderMayRun({ ...legacy, pid: 42 }, 0, machine({ 1: '555' }))).toBe(false);
    expect(holderMayRun({ ...legacy, pid: 42 }, 0, machine({ 1: '555', 42: '1' }))).toBe(true);
  });
});

describe('lockDataDir', () => {
  let dir: string;
  const lockPath = () => join(dir, 'data', 'feedrelay.lock');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedrelay-lock-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes who holds it (pid, start time, host, boot) and removes it on release', async () => {
    const release = await lockDataDir(join(dir, 'data'));
    const written = JSON.parse(await readFile(lockPath(), 'utf8')) as LockHolder;
    expect(written).toMatchObject({ pid: process.pid, host: systemProcessTable.host });
    expect(written.startTime).toBe(systemProcessTable.startTime(process.pid));
    await release();
    expect(await readdir(join(dir, 'data'))).toEqual([]);
  });

  it('refuses a second lock in the same process (same pid, same start time)', async () => {
    const release = await lockDataDir(join(dir, 'data'));
    try {
      await expect(lockDataDir(join(dir, 'data'))).rejects.toThrow(DataDirBusyError);
    } finally {
      await release();
    }
  });

  it('takes over a lock that names our own pid with another start time', async () => {
    await lockDataDir(join(dir, 'data'));
    const stale = { ...JSON.parse(await readFile(lockPath(), 'utf8')), startTime: '1', token: 'before-restart' };
    await writeFile(lockPath(), JSON.stringify(stale));

    const release = await lockDataDir(join(dir, 'data'));
    expect(JSON.parse(await readFile(lockPath(), 'utf8'))).toMatchObject({ pid: process.pid });
    expect(JSON.parse(await readFile(lockPath(), 'utf8')).token).not.toBe('before-restart');
    await release();
  });

  it('takes over a bare-pid lock of an earlier version that names our own pid', async () => {
    await lockDataDir(join(dir, 'data'));
    await writeFile(lockPath(), String(process.pid));
    const release = await lockDataDir(join(dir, 'data'));
    await release();
  });

  it('takes over a lock from another host whose heartbeat stopped, and refuses one that beats', async () => {
    await lockDataDir(join(dir, 'data'));
    await writeFile(lockPath(), JSON.stringify(holder({ host: 'elsewhere', pid: 7 })));
    await expect(lockDataDir(join(dir, 'data'))).rejects.toThrow(/in use by process 7 on elsewhere/);

    const past = new Date(Date.now() - LOCK_STALE_AFTER_MS - 5_000);
    await utimes(lockPath(), past, past);
    const release = await lockDataDir(join(dir, 'data'));
    await release();
  });

  describe('with a live foreign holder on this machine', () => {
    let child: ChildProcess;

    beforeEach(async () => {
      child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      await new Promise((resolve) => child.once('spawn', resolve));
    });

    afterEach(() => {
      child.kill('SIGKILL');
    });

    it('refuses the data directory, naming the holder', async () => {
      await lockDataDir(join(dir, 'data'));
      const foreign = {
        ...JSON.parse(await readFile(lockPath(), 'utf8')),
        pid: child.pid,
        startTime: systemProcessTable.startTime(child.pid!),
        token: 'foreign',
      };
      await writeFile(lockPath(), JSON.stringify(foreign));
      await expect(lockDataDir(join(dir, 'data'))).rejects.toThrow(
        new RegExp(`in use by process ${child.pid} on ${systemProcessTable.host}`),
      );
      expect(JSON.parse(await readFile(lockPath(), 'utf8')).token).toBe('foreign');
    });
  });
});

describe('an unusable data directory', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedrelay-unusable-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is reported with its path when it is a file, or under one', async () => {
    const file = join(dir, 'file');
    await writeFile(file, 'not a directory');
    await expect(lockDataDir(file)).rejects.toThrow(DataDirUnusableError);
    await expect(lockDataDir(file)).rejects.toThrow(
      `the data directory ${file} cannot be used: ${file} exists and is not a directory`,
    );
    await expect(lockDataDir(join(file, 'sub'))).rejects.toThrow(/a part of the path .* is a file, not a directory/);
  });

  it("is busy, not corrupt, when another holder has its DynamoDB store open (LevelDB's own lock)", async () => {
    const first = await startEmbeddedStack({ dataDir: dir });
    try {
      await expect(startEmbeddedStack({ dataDir: dir })).rejects.toThrow(DataDirBusyError);
    } finally {
      await first.stop();
    }
  });

  it('says in words what a permission or read-only error means', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    expect(fileSystemReason(errno('EACCES'), '/d')).toBe('permission denied on /d (EACCES)');
    expect(fileSystemReason(errno('EROFS'), '/d')).toBe('/d is on a read-only file system (EROFS)');
    expect(fileSystemReason(errno('ENOSPC'), '/d')).toBe('no space left for /d (ENOSPC)');
  });
});
