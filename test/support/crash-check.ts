import type { Daemon } from './daemon';

/** The line the daemon's safety net logs before it exits on an uncaught exception. */
const UNCAUGHT = /Uncaught exception: exiting/;

/**
 * Fails the test that just ran (called from an `afterEach`) if one of the daemons exited on an
 * uncaught exception during it: a crash that a process manager would hide behind a restart,
 * whatever the test saw. Each crash is reported once, by the test it happened in.
 *
 * Call it from `afterEach`, never from the clean-up in `after`: a hook that throws skips the
 * hooks of its kind registered after it, and the clean-up must always run.
 */
export class CrashCheck {
  /** How many of each daemon's crash lines a test has already failed for. */
  private readonly reported = new Map<Daemon, number>();

  check(daemons: Iterable<Daemon>): void {
    const fresh = [...daemons].flatMap((daemon) => {
      const crashes = daemon.lines.filter((line) => UNCAUGHT.test(line));
      const reported = this.reported.get(daemon) ?? 0;
      this.reported.set(daemon, crashes.length);
      return crashes.slice(reported);
    });
    if (fresh.length > 0) throw new Error(`a daemon exited on an uncaught exception during this test:\n${fresh.join('\n')}`);
  }
}
