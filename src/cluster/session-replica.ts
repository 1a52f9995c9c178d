import type { Clock, TimerHandle } from '../common/clock';
import { SerialQueue } from '../common/serial-queue';
import { withTimeout } from '../common/with-timeout';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { SessionSnapshot, SessionState } from '../session/session-state';
import type { SessionMetadata, SessionMetadataStore } from '../storage/session-metadata';
import type { LeaseFence } from '../storage/postgres/pg-lease-table';
import type { PgMetadataMirror } from '../storage/postgres/pg-metadata-mirror';
import type { PgSessionVault } from '../storage/postgres/pg-session-vault';
import { packProfile } from '../storage/profile-archive';
import { type PrepareOutcome, restoreProfile } from './restore-profile';
import { readSavedVersion, type SavedVersion, writeSavedVersion } from './saved-version-file';

/** The first save this long after `ready`: the keys are written by then, and nobody waits a minute. */
export const FIRST_SAVE_DELAY_MS = 3_000;
/** A second save once the page has settled after its first sync. */
export const SETTLED_SAVE_DELAY_MS = 60_000;
/** Less than this left of the shutdown budget: no save is started. */
const MIN_SHUTDOWN_SAVE_MS = 300;
/** After a failed save (the database away), the next try. */
export const SAVE_RETRY_MS = 10_000;

/** What the last save did, for health, status and metrics. */
export interface BackupStatus {
  /** The database version the local profile is; null: none saved yet. */
  readonly version: number | null;
  readonly lastSavedAt: Date | null;
  readonly lastAttemptAt: Date | null;
  readonly lastError: string | null;
  readonly saves: number;
  readonly failures: number;
  /** How this instance's profile was prepared when it took the lease. */
  readonly prepared: PrepareOutcome | null;
}

export interface SessionReplicaOptions {
  /** AUTH_PATH/session-CLIENT_ID */
  readonly profileDir: string;
  readonly savedVersionFile: string;
  readonly vault: PgSessionVault;
  readonly mirror: PgMetadataMirror;
  readonly metadata: SessionMetadataStore;
  /** The lease's fence while this instance holds it. */
  readonly fence: () => LeaseFence | null;
  readonly backupIntervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A state in which the profile is a paired one worth saving at shutdown. */
const WORTH_SAVING: ReadonlySet<SessionState> = new Set(['ready', 'reconnecting', 'authenticated']);

/**
 * The session's copy in PostgreSQL, kept by the instance that holds the lease: restored before
 * the browser starts when the database has a newer one, saved soon after `ready`, every
 * SESSION_BACKUP_INTERVAL_MS while ready and at shutdown once the browser has closed, deleted
 * with a clear or a logout. Unlike RemoteAuth it never deletes a local profile that is current.
 */
export class SessionReplica {
  private readonly queue = new SerialQueue();
  private readonly log: Logger;
  private status_: BackupStatus = { version: null, lastSavedAt: null, lastAttemptAt: null, lastError: null, saves: 0, failures: 0, prepared: null };
  private timer: TimerHandle | null = null;
  private settledTimer: TimerHandle | null = null;
  /** The last state before a stop: whether the profile is a paired one. */
  private lastState: SessionState = 'starting';
  private readyOnce = false;
  private stopped = false;
  private session: { snapshot(): SessionSnapshot } | null = null;

  constructor(private readonly options: SessionReplicaOptions) {
    this.log = options.logger.child({ component: 'session-backup' });
  }

  status(): BackupStatus {
    return this.status_;
  }

  /**
   * Before the browser starts, as the new holder: makes the local profile the newest session
   * there is. Returns the metadata to adopt when the profile came from (or was cleared by)
   * another host; null when the local one stands.
   */
  prepare(): Promise<SessionMetadata | null> {
    return this.queue.run(async () => {
      const { outcome, version, metadata } = await restoreProfile({ ...this.options, fence: this.requireFence(), log: this.log });
      this.status_ = { ...this.status_, ...(version === undefined ? {} : { version }), prepared: outcome };
      return metadata;
    });
  }

  /** Saves on the session's schedule from now on; returns the stop function. */
  watch(session: { snapshot(): SessionSnapshot; subscribe(listener: (snapshot: SessionSnapshot) => void): () => void }): () => void {
    let previous = session.snapshot().state;
    const unsubscribe = session.subscribe((snapshot) => {
      if (snapshot.state !== 'stopping') this.lastState = snapshot.state;
      if (snapshot.state === previous) return;
      previous = snapshot.state;
      if (snapshot.state === 'ready') {
        this.readyOnce = true;
        this.schedule(FIRST_SAVE_DELAY_MS, 'ready');
        this.scheduleSettled();
      }
    });
    this.session = session;
    this.schedule(this.options.backupIntervalMs);
    return () => {
      unsubscribe();
      this.stopTimers();
    };
  }

  /** Saves now if the profile is a paired one; never throws (the outcome is in `status()`). */
  save(reason: string): Promise<boolean> {
    return this.queue.run(() => this.saveNow(reason, this.session?.snapshot().state === 'ready'));
  }

  /**
   * The shutdown save, after the browser closed (LevelDB flushed and closed: the most
   * consistent copy there is), bounded by `timeoutMs`. Only a profile that was paired when the
   * stop began is saved.
   */
  async saveOnShutdown(timeoutMs: number): Promise<void> {
    this.stopped = true;
    this.stopTimers();
    if (!this.readyOnce || !WORTH_SAVING.has(this.lastState) || this.options.fence() === null) return;
    if (timeoutMs < MIN_SHUTDOWN_SAVE_MS) {
      this.log.warn(`No time left to save the session at shutdown (${timeoutMs} ms); the last saved version stays current`);
      return;
    }
    try {
      await withTimeout(
        this.queue.run(() => this.saveNow('shutdown', true)),
        timeoutMs,
        this.options.clock,
        'The shutdown save',
      );
    } catch (error) {
      this.log.warn('The session was not saved at shutdown; the last saved version stays current', { error: describeError(error) });
    }
  }

  /**
   * The remote half of a wipe (a clear or a logout): the saved versions go too, so no host
   * restores a dead session. While the database is away the clear is remembered and done at
   * the next chance.
   */
  forget(): Promise<void> {
    return this.queue.run(async () => {
      this.stopTimers();
      this.readyOnce = false;
      const marker = await readSavedVersion(this.options.savedVersionFile);
      const pending: SavedVersion = {
        version: null,
        clearPending: Math.max(marker.version ?? 0, marker.clearPending ?? 0, this.status_.version ?? 0),
      };
      await writeSavedVersion(this.options.savedVersionFile, pending);
      this.status_ = { ...this.status_, version: null };
      await this.clearRemote(pending);
    });
  }

  private async clearRemote(marker: SavedVersion): Promise<boolean> {
    const fence = this.options.fence();
    if (fence === null || marker.clearPending === null) return false;
    try {
      await this.options.vault.clear(fence);
      // Unpaired from now on, whatever the local record says yet (the logout is recorded after the wipe).
      await this.options.mirror.put({ ...(await this.options.metadata.read()), pairedAt: null, me: null });
      await writeSavedVersion(this.options.savedVersionFile, { version: null, clearPending: null });
      this.log.info('Deleted the saved session from the database');
      return true;
    } catch (error) {
      this.log.warn('Could not delete the saved session from the database yet; retried before the next save', { error: describeError(error) });
      if (!this.stopped) this.schedule(SAVE_RETRY_MS, 'retry');
      return false;
    }
  }

  /** A pending remote clear first; then, when `paired` (a ready profile), the save itself. */
  private async saveNow(reason: string, paired: boolean): Promise<boolean> {
    const fence = this.options.fence();
    if (fence === null) return false;
    const marker = await readSavedVersion(this.options.savedVersionFile);
    if (marker.clearPending !== null && !(await this.clearRemote(marker))) return false;
    if (!paired) return false;
    const startedAt = this.options.clock.now();
    this.status_ = { ...this.status_, lastAttemptAt: new Date(startedAt) };
    try {
      const archive = await packProfile(this.options.profileDir);
      if (archive === null) return false;
      const result = await this.options.vault.save(archive, fence);
      await writeSavedVersion(this.options.savedVersionFile, { version: result.version, clearPending: null });
      await this.options.mirror.put(await this.options.metadata.read());
      this.status_ = {
        ...this.status_,
        version: result.version,
        lastSavedAt: new Date(this.options.clock.now()),
        lastError: null,
        saves: this.status_.saves + 1,
      };
      const took = this.options.clock.now() - startedAt;
      if (result.kind === 'saved') {
        this.log.info(`Saved the session to the database (${reason}): version ${result.version}, ${Math.round(result.size / 1024)} KiB, ${took} ms`, {
          event: 'session.saved',
          version: result.version,
          bytes: result.size,
          reason,
        });
      } else {
        this.log.debug(`The session is unchanged since version ${result.version} (${reason})`, {
          event: 'session.saved',
          version: result.version,
          reason,
        });
      }
      return true;
    } catch (error) {
      this.status_ = { ...this.status_, lastError: describeError(error), failures: this.status_.failures + 1 };
      this.log.warn(`Could not save the session to the database (${reason}); the local profile is untouched and the save is retried`, {
        error: describeError(error),
      });
      if (!this.stopped) this.schedule(SAVE_RETRY_MS, 'retry');
      return false;
    }
  }

  /** One timer for the next save (a pending clear goes first); after it, the interval. */
  private schedule(delayMs: number, reason = 'interval'): void {
    if (this.stopped) return;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      void this.save(reason).then(() => {
        if (this.timer === null) this.schedule(this.options.backupIntervalMs);
      });
    }, delayMs);
  }

  private scheduleSettled(): void {
    if (this.stopped || this.settledTimer !== null) return;
    this.settledTimer = this.options.clock.setTimeout(() => {
      this.settledTimer = null;
      void this.save('settled');
    }, SETTLED_SAVE_DELAY_MS);
  }

  private stopTimers(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    if (this.settledTimer !== null) this.options.clock.clearTimeout(this.settledTimer);
    this.timer = null;
    this.settledTimer = null;
  }

  private requireFence(): LeaseFence {
    const fence = this.options.fence();
    if (fence === null) throw new Error('the session can only be prepared while holding the lease');
    return fence;
  }
}
