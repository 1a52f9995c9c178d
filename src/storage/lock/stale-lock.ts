import { open, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../common/errors';
import type { Logger } from '../../logging/logger';
import { readProcStat } from '../../chromium/chromium-processes';
import { errorCode, type Holder, readHolder, unwritableError } from './lock-record';

/** Where the lock is and who asks: what judging and taking over a lock needs. */
export interface LockSettings {
  readonly dir: string;
  readonly clientId: string;
  readonly file: string;
  readonly staleMs: number;
  readonly hostname: string;
  readonly pid: number;
  readonly now: () => number;
  readonly logger: Logger;
}

/** A takeover takes milliseconds; a guard file this old was left by a process that died mid-way. */
const ABANDONED_GUARD_MS = 10_000;
const GUARD_POLL_MS = 20;

export type Verdict =
  { readonly kind: 'alive' } | { readonly kind: 'stale'; readonly reason: string } | { readonly kind: 'fresh'; readonly ageMs: number };

/** Whether the holder still runs: by its process on this host, by its heartbeat from another. */
export async function judge(holder: Holder, settings: LockSettings): Promise<Verdict> {
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

/**
 * Removes the stale lock `judged`, unless it changed since. Contenders may only delete
 * someone else's lock while holding the `.takeover` guard (created with O_EXCL): without
 * it, two daemons judging the same stale lock could each delete the other's fresh one,
 * and both would start. Returns whether this call removed it.
 */
export async function removeStaleLock(judged: Holder, settings: LockSettings): Promise<boolean> {
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
    const unchanged = current !== null && current.ino === judged.ino && current.mtimeMs === judged.mtimeMs && current.content === judged.content;
    if (!unchanged) return false;
    await unlink(settings.file).catch((error: unknown) => {
      if (errorCode(error) !== 'ENOENT') throw unwritableError(settings.dir, error);
    });
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

async function clearAbandonedGuard(guard: string, settings: LockSettings): Promise<void> {
  try {
    const { mtimeMs } = await stat(guard);
    if (Date.now() - mtimeMs < ABANDONED_GUARD_MS) return;
    await unlink(guard);
    settings.logger.warn('removed an abandoned instance lock takeover guard', { guard });
  } catch {
    // Gone already: its owner finished.
  }
}

export function lockedError(holder: Holder, verdict: Verdict, settings: LockSettings): AppError {
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

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
