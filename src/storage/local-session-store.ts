import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../common/clock';
import type { Logger } from '../logging/logger';
import { ProfileInspector } from './profile-inspector';
import type { SessionInfo, SessionStore } from './session-info';

export interface LocalSessionStoreOptions {
  /** AUTH_PATH/session-CLIENT_ID: the Chromium profile LocalAuth writes. */
  readonly profileDir: string;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** The session as LocalAuth keeps it: the whole Chromium profile on the local disk. */
export class LocalSessionStore implements SessionStore {
  private readonly profileDir: string;
  private readonly inspector: ProfileInspector;

  constructor(private readonly options: LocalSessionStoreOptions) {
    this.profileDir = path.resolve(options.profileDir);
    this.inspector = new ProfileInspector({ profileDir: this.profileDir, logger: options.logger, clock: options.clock });
  }

  current(): SessionInfo {
    return this.inspector.current();
  }

  refresh(): Promise<SessionInfo> {
    return this.inspector.refresh();
  }

  /** Refreshes now and every `intervalMs`; returns the stop function. */
  startAutoRefresh(intervalMs: number): () => void {
    return this.inspector.startAutoRefresh(intervalMs);
  }

  async wipe(): Promise<void> {
    // Retries: a just-ended Chromium may still be releasing files (EBUSY/ENOTEMPTY).
    await rm(this.profileDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    this.options.logger.info('deleted the session profile', { profileDir: this.profileDir });
    void this.refresh().catch(() => undefined);
  }
}
