import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { SessionInfo, SessionStore } from '../storage/session-info';
import type { LocalSessionStore } from '../storage/local-session-store';
import type { SessionReplica } from './session-replica';

/**
 * The session store with DATABASE_URL: the local profile as before, and a wipe (a clear, a
 * logout) deletes the database's copy too, so no other host brings a dead session back.
 */
export class ReplicatedSessionStore implements SessionStore {
  constructor(
    private readonly local: LocalSessionStore,
    private readonly replica: SessionReplica,
    private readonly logger: Logger,
  ) {}

  current(): SessionInfo {
    return this.local.current();
  }

  refresh(): Promise<SessionInfo> {
    return this.local.refresh();
  }

  async wipe(): Promise<void> {
    await this.local.wipe();
    // The remote half never fails the wipe: it is remembered and done once the database answers.
    await this.replica
      .forget()
      .catch((error: unknown) => this.logger.warn('Could not record the pending delete of the saved session', { error: describeError(error) }));
  }
}
