import type { Clock } from '../common/clock';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { LeaseFence, LeaseHolder, PgLeaseTable } from '../storage/postgres/pg-lease-table';

export type LeaseRole = 'connecting' | 'standby' | 'holder' | 'lost' | 'released';

export interface LeaseStatus {
  readonly role: LeaseRole;
  /** This instance's name in the lease table (host/pid/random). */
  readonly self: string;
  /** Ours while holding; the other instance's while standing by, when known. */
  readonly holder: string | null;
  readonly generation: number | null;
  /** As the database said at the last look. */
  readonly expiresAt: Date | null;
  /** Last successful renewal (holder) or look (standby). */
  readonly checkedAt: Date | null;
  readonly lastError: string | null;
}

export interface LeaseKeeperOptions {
  readonly table: PgLeaseTable;
  readonly self: string;
  readonly ttlMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called once when the lease is lost while held: the browser must stop. */
  readonly onLost: (reason: string) => void;
  /** Called when the role changes (standby, holder, ...). */
  readonly onRole?: (role: LeaseRole) => void;
}

/**
 * One daemon per account across all hosts. A standby asks for the lease every few seconds and
 * gets it once the holder released it or let it expire. The holder renews it every ttl/6; if it
 * cannot renew for ttl/2 (the database away, or this host cut off from it) it counts the lease
 * as lost and stops its browser, well before a standby may take over at ttl: never two browsers
 * on one account, and a database restart of a few seconds changes nothing.
 */
export class LeaseKeeper {
  private role: LeaseRole = 'connecting';
  private fence: LeaseFence | null = null;
  private other: LeaseHolder | null = null;
  private expiresAt: Date | null = null;
  private checkedAt: Date | null = null;
  private lastError: string | null = null;
  /** performance-style ms (the clock) of the start of the last successful renewal. */
  private renewedAt = 0;
  private timer: ReturnType<Clock['setTimeout']> | null = null;
  /** Ends the lease ttl/2 after the last successful renewal began, whatever a renewal in flight does. */
  private deadline: ReturnType<Clock['setTimeout']> | null = null;
  private stopped = false;
  private acquiring = true;
  /** Ends a standby's wait in `acquire()`. */
  private abandonWait: (() => void) | null = null;
  /** Runs a standby's next attempt now (set only between two attempts). */
  private retryNow: (() => void) | null = null;
  private readonly log: Logger;

  constructor(private readonly options: LeaseKeeperOptions) {
    this.log = options.logger.child({ component: 'lease' });
  }

  status(): LeaseStatus {
    return {
      role: this.role,
      self: this.options.self,
      holder: this.role === 'holder' ? this.options.self : (this.other?.holder ?? null),
      generation: this.fence?.generation ?? this.other?.generation ?? null,
      expiresAt: this.role === 'holder' ? this.expiresAt : (this.other?.expiresAt ?? null),
      checkedAt: this.checkedAt,
      lastError: this.lastError,
    };
  }

  /** The fence while holding; null otherwise. */
  current(): LeaseFence | null {
    return this.role === 'holder' ? this.fence : null;
  }

  /** Waits (as a standby) until the lease is ours; rejects once stopped. */
  acquire(): Promise<LeaseFence> {
    return new Promise((resolve, rejectNow) => {
      let announced = false;
      let settled = false;
      const reject = (error: Error): void => {
        if (settled) return;
        settled = true;
        this.abandonWait = null;
        rejectNow(error);
      };
      // A stop clears the poll timer: it must end the wait too, not leave it pending forever.
      this.abandonWait = () => reject(new Error('stopped before the lease was taken'));
      const attempt = async (): Promise<void> => {
        if (this.stopped || !this.acquiring) return reject(new Error('stopped before the lease was taken'));
        try {
          const result = await this.options.table.tryAcquire(this.options.self, this.options.ttlMs);
          this.checkedAt = new Date(this.options.clock.now());
          this.lastError = null;
          if (this.stopped || !this.acquiring) {
            if (result.kind === 'acquired') await this.options.table.release(result.fence).catch(() => undefined);
            return reject(new Error('stopped before the lease was taken'));
          }
          if (result.kind === 'acquired') {
            this.fence = result.fence;
            this.other = null;
            this.setRole('holder');
            this.renewedAt = this.options.clock.now();
            this.expiresAt = new Date(this.renewedAt + this.options.ttlMs);
            this.armDeadline(this.renewedAt);
            this.log.info(`Holding the session's lease (generation ${result.fence.generation}); this instance runs the account`);
            this.scheduleRenewal();
            settled = true;
            this.abandonWait = null;
            return resolve(result.fence);
          }
          this.other = result.by;
          if (this.role !== 'standby' || !announced) {
            this.log.warn(
              `standby: another instance holds the session (${result.by?.holder ?? 'its lease is being handed over'}); taking over when it stops or its lease expires`,
            );
            announced = true;
          }
          this.setRole('standby');
        } catch (error) {
          if (this.lastError === null) this.log.warn('Cannot reach the database for the lease; retrying', { error: describeError(error) });
          this.lastError = describeError(error);
          if (this.role !== 'standby') this.setRole('connecting');
        }
        const next = (): void => {
          this.retryNow = null;
          if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
          this.timer = null;
          void attempt();
        };
        this.retryNow = next;
        this.timer = this.options.clock.setTimeout(next, this.pollMs());
      };
      void attempt();
    });
  }

  /** The lease was just released (a notification): a standby asks now instead of at its next poll. */
  wake(): void {
    if (this.stopped || !this.acquiring || this.role === 'holder' || this.retryNow === null) return;
    this.retryNow();
  }

  /** Hands the lease back (the SIGTERM path, after the browser is closed). */
  async release(): Promise<void> {
    const fence = this.fence;
    const wasHolder = this.role === 'holder';
    this.stopped = true;
    this.stopTimer();
    this.setRole('released');
    if (fence !== null && wasHolder) {
      await this.options.table.release(fence);
      this.log.info('Released the lease: a standby may take over now');
    }
  }

  /** Stops asking and renewing without releasing (a lost lease, or a stop while standing by). */
  stop(): void {
    this.stopped = true;
    this.stopTimer();
  }

  /**
   * A shutdown began: a standby stops asking, while a holder keeps renewing until `release()`,
   * so the lease cannot expire under a browser that is still closing.
   */
  stopAcquiring(): void {
    this.acquiring = false;
    if (this.role !== 'holder') this.stop();
  }

  /** How often a standby asks: a third of the ttl, at most every 2 s. */
  private pollMs(): number {
    return Math.min(2_000, Math.floor(this.options.ttlMs / 3));
  }

  private scheduleRenewal(): void {
    if (this.stopped || this.role !== 'holder') return;
    this.timer = this.options.clock.setTimeout(() => void this.renew(), Math.floor(this.options.ttlMs / 6));
  }

  private async renew(): Promise<void> {
    const fence = this.fence;
    if (this.stopped || this.role !== 'holder' || fence === null) return;
    const startedAt = this.options.clock.now();
    let stillOurs: boolean | null = null;
    try {
      stillOurs = await this.options.table.renew(fence, this.options.ttlMs);
    } catch (error) {
      if (this.lastError === null)
        this.log.warn('Cannot renew the lease: the database is not reachable; the session keeps running for now', { error: describeError(error) });
      this.lastError = describeError(error);
    }
    if (this.stopped || this.role !== 'holder') return;
    if (stillOurs === true) {
      if (this.lastError !== null) this.log.info('Renewed the lease again: the database is back');
      this.lastError = null;
      this.renewedAt = startedAt;
      this.expiresAt = new Date(startedAt + this.options.ttlMs);
      this.checkedAt = new Date(startedAt);
      this.armDeadline(startedAt);
    } else if (stillOurs === false) {
      return this.lose('another instance holds the lease now');
    }
    this.scheduleRenewal();
  }

  /**
   * The holder's own end of the lease: half the ttl after the start of its last successful
   * renewal. A timer, so a renewal hanging on a silent network cannot delay it; a standby may
   * take over only at the full ttl, leaving the other half for the browser to close.
   */
  private armDeadline(renewalStartedAt: number): void {
    if (this.deadline !== null) this.options.clock.clearTimeout(this.deadline);
    const remaining = Math.max(0, renewalStartedAt + this.options.ttlMs / 2 - this.options.clock.now());
    this.deadline = this.options.clock.setTimeout(() => {
      this.deadline = null;
      if (this.stopped || this.role !== 'holder') return;
      this.lose(`the lease could not be renewed for ${Math.round((this.options.clock.now() - this.renewedAt) / 1000)} s (database unreachable)`);
    }, remaining);
  }

  private lose(reason: string): void {
    this.setRole('lost');
    this.stopped = true;
    this.stopTimer();
    this.log.error(`Lost the session's lease: ${reason}. Stopping the browser so two instances never run one account.`);
    this.options.onLost(reason);
  }

  private setRole(role: LeaseRole): void {
    if (role === this.role) return;
    this.role = role;
    this.options.onRole?.(role);
  }

  private stopTimer(): void {
    // Only a wait that can no longer go on: stopAcquiring() ends it too.
    if (this.stopped || !this.acquiring) this.abandonWait?.();
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    if (this.deadline !== null) this.options.clock.clearTimeout(this.deadline);
    this.timer = null;
    this.deadline = null;
  }
}
