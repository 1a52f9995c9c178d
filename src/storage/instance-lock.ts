import { mkdir, open, readFile, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, describeError } from '../errors';
import type { Logger } from '../logging/logger';
import { readProcStat } from '../chromium/chromium-processes';
import { sessionPaths } from './session-paths';

export interface InstanceLockOptions {
  /** AUTH_PATH: created when missing. */
  readonly dir: string;
  readonly clientId: string;
  /** A lock from another host whose heartbeat is older than this is abandoned. */
  readonly staleMs?: number;
  readonly heartbeatMs?: number;
  /** How long to wait for a fresh lock from another host to go stale before refusing. */
  readonly waitForStaleMs?: number;
  readonly logger: Logger;
  readonly hostname?: string;
  readonly pid?: number;
  readonly now?: () => number;
}

export interface InstanceLock {
  readonly path: string;
  /** Stops the heartbeat and removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** What the lock file says; `procStartTime` tells a live holder from a reused pid. */
interface LockRecord {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  readonly procStartTime: number | null;
}

interface Holder {
  /** Null when the content is not a lock record (corrupt, or caught mid-write). */
  readonly record: LockRecord | null;
  readonly content: string;
  readonly mtimeMs: number;
  readonly ino: number;
}

type Verdict = { readonly kind: 'alive' } | { readonly kind: 'stale'; readonly reason: string } | { readonly kind: 'fresh'; readonly ageMs: number };

interface Settings {
  readonly dir: string;
  readonly clientId: string;
  readonly file: string;
  readonly staleMs: number;
  readonly hostname: string;
  readonly pid: number;
  readonly now: () => number;
  readonly logger: Logger;
}

const DEFAULT_STALE_MS = 30_000;
const DEFAULT_HEARTBEAT_MS = 10_000;
/** A takeover takes milliseconds; a guard file this old was left by a process that died mid-way. */
const ABANDONED_GUARD_MS = 10_000;
const GUARD_POLL_MS = 20;

export function instanceLockPathFor(dir: string, clientId: string): string {
  return sessionPaths(dir, clientId).lockFile;
}

/**
 * Takes the exclusive lock on AUTH_PATH for one CLIENT_ID, so two daemons never share a
 * session directory (and clearing Chromium's own locks at start stays safe).
 *
 * A holder on this host is judged by its process: gone, a zombie, or its pid now carrying
 * another start time (restarted containers reuse pids) means stale. A holder on another
 * host (a shared disk, or a new container hostname) is judged by its heartbeat only.
 * Throws `INSTANCE_LOCKED` for a live holder and `AUTH_PATH_UNWRITABLE` when the
 * directory cannot hold the lock.
 */
export async function acquireInstanceLock(options: InstanceLockOptions): Promise<InstanceLock> {
  const dir = path.resolve(options.dir);
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const settings: Settings = {
    dir,
    clientId: options.clientId,
    file: instanceLockPathFor(dir, options.clientId),
    staleMs,
    hostname: options.hostname ?? os.hostname(),
    pid: options.pid ?? process.pid,
    now: options.now ?? Date.now,
    logger: options.logger,
  };
  const waitUntil = settings.now() + (options.waitForStaleMs ?? staleMs + heartbeatMs);
  const pollMs = Math.min(1_000, Math.max(20, Math.floor(staleMs / 10)));

  await ensureDir(dir);
  const record: LockRecord = {
    pid: settings.pid,
    hostname: settings.hostname,
    startedAt: new Date(settings.now()).toISOString(),
    procStartTime: (await readProcStat(settings.pid))?.startTime ?? null,
  };

  let announcedWait = false;
  for (;;) {
    const ino = await tryCreate(settings.file, record, dir);
    if (ino !== null) return new HeldLock(settings.file, record, ino, heartbeatMs, settings);

    const holder = await readHolder(settings.file, dir);
    if (holder === null) continue; // Released between our create and our read.
    const verdict = await judge(holder, settings);
    if (verdict.kind === 'stale') {
      if (await removeStaleLock(holder, settings)) {
        settings.logger.warn(`took over a stale instance lock: ${verdict.reason}`, { lock: settings.file, holder: holder.record });
      }
      continue;
    }
    if (verdict.kind === 'alive' || settings.now() >= waitUntil) throw lockedError(holder, verdict, settings);
    if (!announcedWait) {
      announcedWait = true;
      settings.logger.info('the instance lock is held from another host; waiting for it to be released or go stale', {
        lock: settings.file,
        holder: holder.record,
        waitMs: waitUntil - settings.now(),
      });
    }
    await sleep(Math.min(pollMs, Math.max(1, waitUntil - settings.now())));
  }
}

class HeldLock implements InstanceLock {
  private readonly heartbeat: NodeJS.Timeout;
  private released: Promise<void> | null = null;

  constructor(
    readonly path: string,
    private readonly record: LockRecord,
    private readonly ino: number,
    heartbeatMs: number,
    private readonly settings: Settings,
  ) {
    // Another host can only see that we are alive through the file's mtime.
    this.heartbeat = setInterval(() => void this.beat(), heartbeatMs);
    this.heartbeat.unref();
  }

  release(): Promise<void> {
    this.released ??= this.removeIfOurs();
    return this.released;
  }

  private async beat(): Promise<void> {
    try {
      if (!(await this.isOurs())) {
        clearInterval(this.heartbeat);
        this.settings.logger.error('lost the instance lock: its file was removed or replaced by another process', { lock: this.path });
        return;
      }
      const time = new Date(this.settings.now());
      await utimes(this.path, time, time);
    } catch (error) {
      this.settings.logger.warn(`could not refresh the instance lock: ${describeError(error)}`, { lock: this.path });
    }
  }

  private async removeIfOurs(): Promise<void> {
    clearInterval(this.heartbeat);
    try {
      if (await this.isOurs()) await unlink(this.path);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') {
        this.settings.logger.warn(`could not remove the instance lock: ${describeError(error)}`, { lock: this.path });
      }
    }
  }

  private async isOurs(): Promise<boolean> {
    const holder = await readHolder(this.path, this.settings.dir);
    const theirs = holder?.record;
    return (
      holder !== null &&
      holder.ino === this.ino &&
      theirs !== null &&
      theirs !== undefined &&
      theirs.pid === this.record.pid &&
      theirs.hostname === this.record.hostname &&
      theirs.startedAt === this.record.startedAt
    );
  }
}

/** Who holds the lock, as a start would judge it; read only, for the doctor. */
export type LockInspection =
  | { readonly kind: 'free' }
  | { readonly kind: 'unreadable'; readonly file: string }
  | { readonly kind: 'alive' | 'stale' | 'fresh'; readonly file: string; readonly pid: number; readonly hostname: string; readonly startedAt: string; readonly reason: string | null };

export async function inspectInstanceLock(options: Pick<InstanceLockOptions, 'dir' | 'clientId' | 'logger' | 'staleMs'>): Promise<LockInspection> {
  const dir = path.resolve(options.dir);
  const settings: Settings = {
    dir,
    clientId: options.clientId,
    file: instanceLockPathFor(dir, options.clientId),
    staleMs: options.staleMs ?? DEFAULT_STALE_MS,
    hostname: os.hostname(),
    pid: process.pid,
    now: Date.now,
    logger: options.logger,
  };
  const holder = await readHolder(settings.file, dir);
  if (holder === null) return { kind: 'free' };
  if (holder.record === null) return { kind: 'unreadable', file: settings.file };
  const verdict = await judge(holder, settings);
  return { kind: verdict.kind, file: settings.file, ...holder.record, reason: verdict.kind === 'stale' ? verdict.reason : null };
}

async function judge(holder: Holder, settings: Settings): Promise<Verdict> {
  const { record } = holder;
  if (record !== null && record.hostname === settings.hostname) {
    if (record.pid === settings.pid) return { kind: 'stale', reason: `it names our own pid ${record.pid} (left by an earlier run)` };
    if (!pidExists(record.pid)) return { kind: 'stale', reason: `its process ${record.pid} is gone` };
    const current = await readProcStat(record.pid);
    if (current !== null && (current.state === 'Z' || current.state === 'X')) {
      return { kind: 'stale', reason: `its process ${record.pid} has exited` };
    }
    if (current !== null && record.procStartTime !== null && current.startTime !== record.procStartTime) {
      return { kind: 'stale', reason: `pid ${record.pid} now belongs to another process` };
    }
    return { kind: 'alive' };
  }
  // Another host's processes are invisible from here: only the heartbeat tells.
  const ageMs = Math.max(0, settings.now() - holder.mtimeMs);
  if (ageMs > settings.staleMs) {
    return { kind: 'stale', reason: `its heartbeat stopped ${formatSeconds(ageMs)} ago` };
  }
  return { kind: 'fresh', ageMs };
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but run by another user.
    return errorCode(error) === 'EPERM';
  }
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw unwritableError(dir, error);
  }
}

/** The new file's inode, or null when a lock file already exists. */
async function tryCreate(file: string, record: LockRecord, dir: string): Promise<number | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'wx', 0o644);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return null;
    throw unwritableError(dir, error);
  }
  try {
    await handle.writeFile(`${JSON.stringify(record)}\n`);
    return (await handle.stat()).ino;
  } catch (error) {
    // A half-written lock (ENOSPC, EDQUOT) would read as corrupt and block the next start.
    await unlink(file).catch(() => undefined);
    throw unwritableError(dir, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Null when the file is gone. */
async function readHolder(file: string, dir: string): Promise<Holder | null> {
  try {
    const [info, content] = await Promise.all([stat(file), readFile(file, 'utf8')]);
    return { record: parseRecord(content), content, mtimeMs: info.mtimeMs, ino: info.ino };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw unwritableError(dir, error);
  }
}

/**
 * Removes the stale lock `judged`, unless it changed since. Contenders may only delete
 * someone else's lock while holding the `.takeover` guard (created with O_EXCL): without
 * it, two daemons judging the same stale lock could each delete the other's fresh one,
 * and both would start. Returns whether this call removed it.
 */
async function removeStaleLock(judged: Holder, settings: Settings): Promise<boolean> {
  const guard = `${settings.file}.takeover`;
  try {
    await (await open(guard, 'wx')).close();
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw unwritableError(settings.dir, error);
    await clearAbandonedGuard(guard, settings);
    await sleep(GUARD_POLL_MS);
    return false;
  }
  try {
    const current = await readHolder(settings.file, settings.dir);
    const unchanged =
      current !== null && current.ino === judged.ino && current.mtimeMs === judged.mtimeMs && current.content === judged.content;
    if (!unchanged) return false;
    await unlink(settings.file).catch((error: unknown) => {
      if (errorCode(error) !== 'ENOENT') throw unwritableError(settings.dir, error);
    });
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

async function clearAbandonedGuard(guard: string, settings: Settings): Promise<void> {
  try {
    const { mtimeMs } = await stat(guard);
    if (Date.now() - mtimeMs < ABANDONED_GUARD_MS) return;
    await unlink(guard);
    settings.logger.warn('removed an abandoned instance lock takeover guard', { guard });
  } catch {
    // Gone already: its owner finished.
  }
}

function parseRecord(content: string): LockRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { pid, hostname, startedAt, procStartTime } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return null;
  if (typeof hostname !== 'string' || typeof startedAt !== 'string') return null;
  const start = typeof procStartTime === 'number' && Number.isSafeInteger(procStartTime) ? procStartTime : null;
  return { pid, hostname, startedAt, procStartTime: start };
}

function lockedError(holder: Holder, verdict: Verdict, settings: Settings): AppError {
  const fix = 'Stop it first, or give this one a different AUTH_PATH or CLIENT_ID.';
  const heartbeat = verdict.kind === 'fresh' ? ` Its lock was refreshed ${formatSeconds(verdict.ageMs)} ago.` : '';
  const { record } = holder;
  if (record === null) {
    return new AppError(
      'INSTANCE_LOCKED',
      `Another wa-tether may be using ${settings.dir} for CLIENT_ID ${settings.clientId}: its lock file ${settings.file} is unreadable but recently written.${heartbeat} ${fix} If nothing else uses it, delete ${settings.file}.`,
    );
  }
  return new AppError(
    'INSTANCE_LOCKED',
    `Another wa-tether (pid ${record.pid} on host ${record.hostname}, since ${record.startedAt}) is using ${settings.dir} for CLIENT_ID ${settings.clientId}.${heartbeat} ${fix}`,
  );
}

/** What to do, per errno; each finishes "To resolve, point AUTH_PATH at ..., or ...". */
const UNWRITABLE_HINTS: Readonly<Record<string, string>> = {
  EACCES: 'fix its ownership or permissions',
  EPERM: 'fix its ownership or permissions',
  EROFS: 'mount a writable disk there (this filesystem is read-only)',
  ENOTDIR: 'remove the file that stands where one of its directories should be',
  EEXIST: 'move away the file of that name (it is not a directory)',
  ENOSPC: 'free some disk space',
  EDQUOT: 'free some space within the disk quota',
};

function unwritableError(dir: string, error: unknown): AppError {
  const code = errorCode(error);
  const hint = (code !== undefined && UNWRITABLE_HINTS[code]) || 'fix its ownership or permissions';
  return new AppError(
    'AUTH_PATH_UNWRITABLE',
    `AUTH_PATH ${dir} is not writable (${code ?? describeError(error)}). To resolve, point AUTH_PATH at a directory this user can write (on Render, the disk's mount path), or ${hint}.`,
    { cause: error },
  );
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
