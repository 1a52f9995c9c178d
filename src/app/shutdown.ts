import type { Clock } from '../common/clock';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';

/** What a shutdown does, in order: the reverse of start. */
export interface ShutdownSteps {
  /** Stop taking requests and end open connections (event streams included). */
  closeHttp(): void;
  /** Stop background work that reads the disk. */
  stopBackground(): void;
  /** Let a send in flight finish and commit, stop webhook deliveries. */
  stopMessaging(): Promise<void>;
  /** Close the browser keeping the session (bounded by the supervisor itself). */
  stopSession(): Promise<void>;
  /**
   * With DATABASE_URL: save the session now that the browser is closed (its LevelDB flushed),
   * within `remainingMs`, what is left of the shutdown budget.
   */
  saveSession?(remainingMs: number): Promise<void>;
  /** Close the database: last of the session's writers, so its final state change is committed too. */
  closeStorage(): void | Promise<void>;
  /** With DATABASE_URL: hand the lease back, so a standby takes over without waiting for it to expire. */
  releaseLease?(): Promise<void>;
  releaseLock(): Promise<void>;
  /** Flush the log; the process exits when this settles or after a short grace. */
  flushLogs(): Promise<void>;
}

export interface ShutdownOptions {
  readonly steps: ShutdownSteps;
  readonly logger: Logger;
  readonly clock: Clock;
  /** From the signal to exit, at most; then exit 1 whatever is still running. */
  readonly timeoutMs: number;
  readonly exit: (code: number) => void;
  /** The exit code once stopped: non-zero after a crash, so a process manager that restarts on failure does. */
  readonly exitCode: () => number;
}

/** How long the log gets to flush before the process exits anyway. */
const FLUSH_GRACE_MS = 200;

/**
 * The shutdown sequence for SIGTERM/SIGINT: runs once, each step guarded so one failure never
 * skips the next, under a hard deadline that exits 1.
 */
export function createShutdown(options: ShutdownOptions): (signal: string) => void {
  const { steps, logger, clock } = options;
  let started = false;
  return (signal) => {
    if (started) return;
    started = true;
    logger.info(`${signal} received: shutting down (the session is kept)`);
    const startedAt = clock.now();
    const hardStop = clock.setTimeout(() => {
      logger.error(`Shutdown took longer than ${options.timeoutMs} ms; exiting anyway`);
      options.exit(1);
    }, options.timeoutMs);
    void (async () => {
      guard(logger, 'Closing HTTP failed', () => steps.closeHttp());
      guard(logger, 'Stopping background work failed', () => steps.stopBackground());
      await steps.stopMessaging().catch((error: unknown) => logger.error('Stopping the outbox and webhooks failed', { error: describeError(error) }));
      await steps.stopSession().catch((error: unknown) => logger.error('Stopping the session failed', { error: describeError(error) }));
      await steps
        .saveSession?.(options.timeoutMs - (clock.now() - startedAt))
        .catch((error: unknown) => logger.warn('Saving the session to the database failed', { error: describeError(error) }));
      await steps
        .releaseLease?.()
        .catch((error: unknown) => logger.warn('Releasing the lease failed; a standby takes over once it expires', { error: describeError(error) }));
      await Promise.resolve()
        .then(() => steps.closeStorage())
        .catch((error: unknown) => logger.error('Closing the database failed', { error: describeError(error) }));
      await steps.releaseLock().catch((error: unknown) => logger.warn('Releasing the instance lock failed', { error: describeError(error) }));
      clock.clearTimeout(hardStop);
      logger.info('Stopped');
      const code = options.exitCode();
      const flushed = clock.setTimeout(() => options.exit(code), FLUSH_GRACE_MS);
      await steps.flushLogs().catch(() => undefined);
      clock.clearTimeout(flushed);
      options.exit(code);
    })();
  };
}

function guard(logger: Logger, what: string, step: () => void): void {
  try {
    step();
  } catch (error) {
    logger.error(what, { error: describeError(error) });
  }
}
