import { unlink, utimes } from 'node:fs/promises';
import { describeError } from '../../common/errors';
import { errorCode, type LockRecord, readHolder } from './lock-record';
import type { LockSettings } from './stale-lock';

export interface InstanceLock {
  readonly path: string;
  /** Stops the heartbeat and removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/**
 * The lock once taken: its heartbeat (the file's mtime, all another host can see of us) and its
 * release, which removes the file only while it is still the one we wrote.
 */
export class HeldLock implements InstanceLock {
  private readonly heartbeat: NodeJS.Timeout;
  private released: Promise<void> | null = null;

  constructor(
    readonly path: string,
    private readonly record: LockRecord,
    private readonly ino: number,
    heartbeatMs: number,
    private readonly settings: LockSettings,
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
