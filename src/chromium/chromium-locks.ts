import { lstat, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The files by which Chromium claims a profile. `SingletonLock` is a symlink to
 * `<hostname>-<pid>`; a new Chromium that finds it naming a live pid on its own host
 * refuses to start ("The browser is already running for ..."). In a restarted container
 * that pid is often alive again as some other process, so the lock outlives its owner.
 */
export const CHROMIUM_LOCK_FILES = ['SingletonLock', 'SingletonSocket', 'SingletonCookie'] as const;

/** Who `SingletonLock` says holds the profile. */
export interface SingletonLockOwner {
  readonly host: string;
  readonly pid: number;
}

export interface ClearChromiumLocksOptions {
  /**
   * Whether a live process still holds the profile; the owner named by `SingletonLock`
   * is passed when there is one. Defaults to `isSingletonOwnerAlive`.
   */
  readonly isOwnerAlive?: (owner: SingletonLockOwner | null) => Promise<boolean>;
  readonly hostname?: string;
}

export interface ClearChromiumLocksResult {
  /** Names of the lock files removed. */
  readonly removed: readonly string[];
  /** True when the locks were left alone because a live process holds the profile. */
  readonly kept: boolean;
  /** What `SingletonLock` named, if anything. */
  readonly owner: SingletonLockOwner | null;
}

/**
 * Removes Chromium's `Singleton*` files from `profileDir` unless a live process holds
 * the profile. Never follows the links: `SingletonSocket` points into another /tmp.
 */
export async function clearStaleChromiumLocks(profileDir: string, options: ClearChromiumLocksOptions = {}): Promise<ClearChromiumLocksResult> {
  const hostname = options.hostname ?? os.hostname();
  const isOwnerAlive = options.isOwnerAlive ?? ((owner) => Promise.resolve(isSingletonOwnerAlive(owner, hostname)));
  const present = await presentLockFiles(profileDir);
  if (present.length === 0) return { removed: [], kept: false, owner: null };

  const owner = await readSingletonLockOwner(profileDir);
  if (await isOwnerAlive(owner)) return { removed: [], kept: true, owner };
  await Promise.all(present.map((name) => rm(path.join(profileDir, name), { force: true })));
  return { removed: present, kept: false, owner };
}

/** Null when there is no `SingletonLock`, or it does not look like `<host>-<pid>`. */
export async function readSingletonLockOwner(profileDir: string): Promise<SingletonLockOwner | null> {
  let target: string;
  try {
    target = await readlink(path.join(profileDir, 'SingletonLock'));
  } catch {
    return null;
  }
  // Host names may contain '-', pids may not: split at the last one.
  const dash = target.lastIndexOf('-');
  const pid = Number(target.slice(dash + 1));
  if (dash <= 0 || !Number.isSafeInteger(pid) || pid <= 0) return null;
  return { host: target.slice(0, dash), pid };
}

/**
 * What Chromium itself checks, for systems without /proc: the owner is alive when it is
 * on this host and its pid answers signal 0. A lock from another host cannot be checked
 * and counts as stale, which is safe only under the daemon's instance lock on AUTH_PATH.
 */
export function isSingletonOwnerAlive(owner: SingletonLockOwner | null, hostname: string = os.hostname()): boolean {
  if (owner === null || owner.host !== hostname || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function presentLockFiles(profileDir: string): Promise<string[]> {
  const checks = await Promise.all(
    CHROMIUM_LOCK_FILES.map(async (name) => {
      try {
        await lstat(path.join(profileDir, name));
        return name;
      } catch {
        return null;
      }
    }),
  );
  return checks.filter((name): name is (typeof CHROMIUM_LOCK_FILES)[number] => name !== null);
}
