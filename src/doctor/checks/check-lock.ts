import type { Logger } from '../../logging/logger';
import { inspectInstanceLock, type LockInspection } from '../../storage/lock/instance-lock';
import { type CheckResult, fail, pass, warn } from '../check';

/** Who holds the session's lock, judged as a start would judge it. */
export async function checkLock(options: {
  authPath: string;
  clientId: string;
  port: number;
  logger: Logger;
  daemonAnswers: boolean;
}): Promise<CheckResult> {
  let lock: LockInspection;
  try {
    lock = await inspectInstanceLock({ dir: options.authPath, clientId: options.clientId, logger: options.logger });
  } catch (error) {
    return fail('lock', `the lock file cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'see the auth path line.');
  }
  switch (lock.kind) {
    case 'free':
      return pass('lock', 'free: no daemon holds this session');
    case 'unreadable':
      return fail(
        'lock',
        `${lock.file} is not a lock record: a start waits for it to go stale, then refuses`,
        `if no wa-tether runs on this AUTH_PATH, delete ${lock.file}.`,
      );
    case 'stale':
      return warn(
        'lock',
        `left by a daemon that is gone (${lock.reason})`,
        'none needed: the next start takes it over (a crash or kill -9 leaves one).',
      );
    case 'fresh':
      return fail(
        'lock',
        `held by pid ${lock.pid} on host ${lock.hostname} (since ${lock.startedAt}), whose heartbeat is recent: another machine uses this disk`,
        `stop the daemon on ${lock.hostname}; its lock goes stale 30 s after it stopped.`,
      );
    case 'alive':
      if (options.daemonAnswers) return pass('lock', `held by the running daemon (pid ${lock.pid}, since ${lock.startedAt})`);
      return fail(
        'lock',
        `held by pid ${lock.pid} (since ${lock.startedAt}), which does not answer as wa-tether on port ${options.port}: a start now refuses (INSTANCE_LOCKED)`,
        `stop that process (kill ${lock.pid}) if it is a leftover daemon, or give this one a different AUTH_PATH or CLIENT_ID.`,
      );
  }
}
