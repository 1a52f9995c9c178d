import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { clearStaleChromiumLocks, isSingletonOwnerAlive, type SingletonLockOwner } from './chromium-locks';
import { endProcesses, findProfileProcesses, type ProcessFilter } from './chromium-processes';
import type { ProfileGuard } from './profile-guard';

export interface LocalProfileGuardOptions {
  readonly profileDir: string;
  readonly logger: Logger;
  /** How long Chromium gets to exit on SIGTERM before SIGKILL. */
  readonly graceMs?: number;
  /**
   * Only processes of this user running one of these binaries (and their descendants) are
   * ever ended; main passes our uid and the browser's binaries. Unset: any process on the profile.
   */
  readonly only?: ProcessFilter;
}

const DEFAULT_GRACE_MS = 3_000;
/** Scan-and-end rounds: a second one catches a helper forked during the first. */
const MAX_ROUNDS = 3;

/**
 * Keeps the profile directory launchable: ends Chromium processes that still hold it
 * and clears the `Singleton*` locks they leave behind. Safe only under the instance lock
 * on AUTH_PATH, which makes every Chromium on this profile one of ours.
 */
export class LocalProfileGuard implements ProfileGuard {
  private readonly profileDir: string;
  private readonly logger: Logger;
  private readonly graceMs: number;
  private readonly only: ProcessFilter;

  constructor(options: LocalProfileGuardOptions) {
    this.only = options.only ?? {};
    this.profileDir = path.resolve(options.profileDir);
    this.logger = options.logger;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  }

  async prepare(): Promise<void> {
    const ended = await this.endHolders();
    if (ended.length > 0) {
      this.logger.warn(`ended ${ended.length} orphaned Chromium processes holding the profile (left by a daemon that was killed)`, {
        pids: ended,
        profileDir: this.profileDir,
      });
    }

    const { removed, kept, owner } = await clearStaleChromiumLocks(this.profileDir, {
      isOwnerAlive: (lockOwner) => this.isHeld(lockOwner),
    });
    if (removed.length > 0) {
      this.logger.info(`removed stale Chromium locks: ${removed.join(', ')}`, { owner, profileDir: this.profileDir });
    } else if (kept) {
      this.logger.error('Chromium locks kept: a process still holds the profile, so the browser may refuse to start', {
        owner,
        profileDir: this.profileDir,
      });
    }
  }

  async killLeftovers(): Promise<number> {
    const ended = await this.endHolders();
    if (ended.length > 0) {
      this.logger.warn(`ended ${ended.length} Chromium processes still holding the profile after the browser closed`, {
        pids: ended,
        profileDir: this.profileDir,
      });
    }
    return ended.length;
  }

  /**
   * Ends every process holding the profile. Scans again after each round: a browser being
   * ended can still fork a helper that was not there at the first scan.
   */
  private async endHolders(): Promise<number[]> {
    const ended: number[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const holders = await findProfileProcesses(this.profileDir, this.only);
      if (holders.length === 0) break;
      const result = await endProcesses(holders, this.graceMs);
      ended.push(...result.ended);
      if (result.survivors.length > 0) {
        this.logger.error('Chromium processes holding the profile survived SIGKILL', {
          pids: result.survivors,
          profileDir: this.profileDir,
        });
        break;
      }
    }
    return ended;
  }

  /** With /proc, a process scan; without it, the pid check Chromium itself would make. */
  private async isHeld(owner: SingletonLockOwner | null): Promise<boolean> {
    if (!(await hasProcFs())) return isSingletonOwnerAlive(owner);
    return (await findProfileProcesses(this.profileDir, this.only)).length > 0;
  }
}

async function hasProcFs(): Promise<boolean> {
  try {
    await access('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}
