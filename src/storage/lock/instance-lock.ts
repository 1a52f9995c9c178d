import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readProcStat } from '../../chromium/chromium-processes';
import { sessionPaths } from '../../config/session-paths';
import type { Logger } from '../../logging/logger';
import { HeldLock, type InstanceLock } from './held-lock';
import { ensureDir, type LockRecord, readHolder, tryCreate } from './lock-record';
import { judge, lockedError, type LockSettings, removeStaleLock } from './stale-lock';

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

const DEFAULT_STALE_MS = 30_000;
const DEFAULT_HEARTBEAT_MS = 10_000;

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
  const settings: LockSettings = {
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

/** Who holds the lock, as a start would judge it; read only, for the doctor. */
export type LockInspection =
  | { readonly kind: 'free' }
  | { readonly kind: 'unreadable'; readonly file: string }
  | {
      readonly kind: 'alive' | 'stale' | 'fresh';
      readonly file: string;
      readonly pid: number;
      readonly hostname: string;
      readonly startedAt: string;
      readonly reason: string | null;
    };

export async function inspectInstanceLock(options: Pick<InstanceLockOptions, 'dir' | 'clientId' | 'logger' | 'staleMs'>): Promise<LockInspection> {
  const dir = path.resolve(options.dir);
  const settings: LockSettings = {
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
