import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { AppError } from '../../../src/common/errors';
import { readProcStat } from '../../../src/chromium/chromium-processes';
import { acquireInstanceLock, instanceLockPathFor } from '../../../src/storage/lock/instance-lock';
import { type InstanceLock } from '../../../src/storage/lock/held-lock';
import { RecordingLogger } from '../../support/recording-logger';

const CLIENT_ID = 'test-client';
const children: ChildProcess[] = [];
const held: InstanceLock[] = [];
let root: string;
let dirCount = 0;

async function freshDir(): Promise<string> {
  dirCount += 1;
  return path.join(root, `auth-${dirCount}`);
}

/** A real, idle process: the "other daemon" whose pid the lock file names. */
async function spawnIdle(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  await once(child, 'spawn');
  assert.ok(child.pid !== undefined);
  return child as ChildProcess & { pid: number };
}

async function startTimeOf(pid: number): Promise<number> {
  const procStat = await readProcStat(pid);
  assert.ok(procStat, `no /proc entry for ${pid}`);
  return procStat.startTime;
}

async function plantLock(dir: string, content: string | Record<string, unknown>, mtime?: Date): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = instanceLockPathFor(dir, CLIENT_ID);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  if (mtime) await utimes(file, mtime, mtime);
  return file;
}

async function acquire(dir: string, extra: Partial<Parameters<typeof acquireInstanceLock>[0]> = {}): Promise<InstanceLock> {
  const lock = await acquireInstanceLock({ dir, clientId: CLIENT_ID, logger: new RecordingLogger(), ...extra });
  held.push(lock);
  return lock;
}

async function readLock(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

function isAppError(code: string, pattern?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof AppError, `expected AppError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

describe('acquireInstanceLock', () => {
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-lock-'));
  });

  afterEach(async () => {
    await Promise.all(held.splice(0).map((lock) => lock.release()));
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  it('creates the lock file with pid, hostname, start and /proc start time, and release removes it', async () => {
    const dir = await freshDir();
    const lock = await acquire(dir);
    assert.equal(lock.path, path.join(dir, `.wa-tether-${CLIENT_ID}.lock`));
    const content = await readLock(lock.path);
    assert.equal(content.pid, process.pid);
    assert.equal(content.hostname, os.hostname());
    assert.ok(!Number.isNaN(Date.parse(String(content.startedAt))));
    assert.equal(content.procStartTime, await startTimeOf(process.pid));

    await lock.release();
    await assert.rejects(stat(lock.path), { code: 'ENOENT' });
    await lock.release(); // idempotent
  });

  it('refuses while a live process on this host holds the lock, naming it and what to do', async () => {
    const dir = await freshDir();
    const other = await spawnIdle();
    const file = await plantLock(dir, {
      pid: other.pid,
      hostname: os.hostname(),
      startedAt: '2025-01-02T03:04:05.000Z',
      procStartTime: await startTimeOf(other.pid),
    });
    await assert.rejects(
      acquire(dir),
      isAppError('INSTANCE_LOCKED', new RegExp(`pid ${other.pid} on host ${os.hostname()}, since 2025-01-02T03:04:05.000Z.*Stop it first`)),
    );
    assert.equal((await readLock(file)).pid, other.pid, 'the holder keeps its lock');
  });

  it('takes over from a process that is gone, and logs it at warn', async () => {
    const dir = await freshDir();
    const gone = await spawnIdle();
    const goneStart = await startTimeOf(gone.pid);
    gone.kill('SIGKILL');
    await once(gone, 'exit');
    await plantLock(dir, { pid: gone.pid, hostname: os.hostname(), startedAt: 'x', procStartTime: goneStart });

    const logger = new RecordingLogger();
    const lock = await acquire(dir, { logger });
    assert.equal((await readLock(lock.path)).pid, process.pid);
    assert.equal(logger.find('warn', new RegExp(`took over a stale instance lock: its process ${gone.pid} is gone`)).length, 1);
  });

  it('takes over when the pid is alive but was reused by another process (start time differs)', async () => {
    const dir = await freshDir();
    const other = await spawnIdle();
    await plantLock(dir, {
      pid: other.pid,
      hostname: os.hostname(),
      startedAt: 'x',
      procStartTime: (await startTimeOf(other.pid)) - 1,
    });
    const logger = new RecordingLogger();
    const lock = await acquire(dir, { logger });
    assert.equal((await readLock(lock.path)).pid, process.pid);
    assert.equal(logger.find('warn', /now belongs to another process/).length, 1);
  });

  it('takes over a lock naming our own pid (a restarted container gets the same pid)', async () => {
    const dir = await freshDir();
    await plantLock(dir, { pid: process.pid, hostname: os.hostname(), startedAt: 'x', procStartTime: null });
    const lock = await acquire(dir);
    assert.notEqual((await readLock(lock.path)).startedAt, 'x');
  });

  it('waits for a fresh lock from another host, then refuses', async () => {
    const dir = await freshDir();
    await plantLock(dir, { pid: 4242, hostname: 'other-host', startedAt: '2025-01-02T03:04:05.000Z', procStartTime: 7 });
    const started = Date.now();
    await assert.rejects(
      acquire(dir, { staleMs: 5_000, waitForStaleMs: 300 }),
      isAppError('INSTANCE_LOCKED', /pid 4242 on host other-host, since 2025-01-02T03:04:05\.000Z.*refreshed/),
    );
    const waited = Date.now() - started;
    assert.ok(waited >= 290 && waited < 2_000, `waited ${waited} ms`);
  });

  it('takes over a lock from another host once its heartbeat goes stale while waiting', async () => {
    const dir = await freshDir();
    const almostStale = new Date(Date.now() - 800);
    await plantLock(dir, { pid: 4242, hostname: 'other-host', startedAt: 'x', procStartTime: 7 }, almostStale);
    const started = Date.now();
    const lock = await acquire(dir, { staleMs: 1_000, waitForStaleMs: 3_000 });
    const waited = Date.now() - started;
    assert.equal((await readLock(lock.path)).hostname, os.hostname());
    assert.ok(waited >= 150 && waited < 2_000, `waited ${waited} ms`);
  });

  it('takes over a stale lock from another host at once', async () => {
    const dir = await freshDir();
    await plantLock(dir, { pid: 4242, hostname: 'other-host', startedAt: 'x', procStartTime: 7 }, new Date(Date.now() - 60_000));
    const started = Date.now();
    const lock = await acquire(dir);
    assert.ok(Date.now() - started < 500);
    assert.equal((await readLock(lock.path)).pid, process.pid);
  });

  it('judges heartbeats with the injected clock', async () => {
    const dir = await freshDir();
    await plantLock(dir, { pid: 4242, hostname: 'other-host', startedAt: 'x', procStartTime: 7 });
    const lock = await acquire(dir, { now: () => Date.now() + 31_000 });
    assert.equal((await readLock(lock.path)).pid, process.pid);
  });

  it('treats corrupt content like a lock from another host: fresh refuses, stale is taken over', async () => {
    const dir = await freshDir();
    const file = await plantLock(dir, 'not json {');
    await assert.rejects(acquire(dir, { staleMs: 5_000, waitForStaleMs: 100 }), isAppError('INSTANCE_LOCKED', /unreadable/));

    await utimes(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const lock = await acquire(dir);
    assert.equal((await readLock(lock.path)).pid, process.pid);
  });

  it('reports an AUTH_PATH that cannot be created', async () => {
    const blocker = path.join(root, 'a-regular-file');
    await writeFile(blocker, '');
    const dir = path.join(blocker, 'auth');
    await assert.rejects(
      acquire(dir),
      isAppError(
        'AUTH_PATH_UNWRITABLE',
        new RegExp(`AUTH_PATH ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not writable \\(ENOTDIR\\)\\. To resolve`),
      ),
    );
  });

  it('release leaves a lock file that is no longer ours', async () => {
    const dir = await freshDir();
    const lock = await acquire(dir);
    await rm(lock.path);
    await plantLock(dir, { pid: 4242, hostname: 'other-host', startedAt: 'theirs', procStartTime: 7 });
    await lock.release();
    assert.equal((await readLock(lock.path)).startedAt, 'theirs');
  });

  it('refreshes the mtime as a heartbeat', async () => {
    const dir = await freshDir();
    const lock = await acquire(dir, { heartbeatMs: 30 });
    const old = new Date(Date.now() - 60_000);
    await utimes(lock.path, old, old);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const { mtimeMs } = await stat(lock.path);
    assert.ok(Date.now() - mtimeMs < 1_000, `mtime is ${Date.now() - mtimeMs} ms old`);
  });

  it('lets exactly one of two daemons racing over the same stale lock win', async () => {
    const dir = await freshDir();
    const [a, b] = await Promise.all([spawnIdle(), spawnIdle()]);
    for (let round = 0; round < 5; round += 1) {
      await plantLock(dir, { pid: 4242, hostname: 'other-host', startedAt: 'x', procStartTime: 7 }, new Date(Date.now() - 60_000));
      const results = await Promise.allSettled([acquire(dir, { pid: a.pid }), acquire(dir, { pid: b.pid })]);
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: ${results.map((r) => r.status).join(', ')}`);
      const lost = results.find((r) => r.status === 'rejected');
      assert.ok(lost && isAppError('INSTANCE_LOCKED')(lost.reason));
      await Promise.all(held.splice(0).map((lock) => lock.release()));
    }
  });
});
