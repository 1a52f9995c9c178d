import type { Clock } from '../common/clock';
import { withTimeout } from '../common/with-timeout';
import type { ProfileGuard } from '../chromium/profile-guard';
import { AppError, describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { SessionStore } from '../storage/session-info';
import type { ClientSlot } from './client-slot';
import type { ClientHandle } from './client-teardown';
import type { PairingRecord } from './pairing-record';
import type { ClearResult } from './session-state';

const LOGOUT_TIMEOUT_MS = 10_000;

export interface ResetDeps {
  readonly slot: ClientSlot;
  readonly pairing: PairingRecord;
  readonly guard: ProfileGuard;
  readonly store: SessionStore;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * The end of a session: log out on WhatsApp if still linked, close the browser, delete the
 * saved session once the browser is gone, record why. The supervisor then launches a fresh
 * client; the old browser is never reused: the library deletes the profile while that Chromium
 * still has it open, so a pairing made inside it would be lost at the next restart.
 */
export class SessionReset {
  constructor(private readonly deps: ResetDeps) {}

  /** An operator's clear of `handle` (already detached); `linked` means it was logged in. */
  async clear(handle: ClientHandle | null, linked: boolean): Promise<ClearResult> {
    let loggedOut = false;
    if (handle && linked) {
      try {
        await withTimeout(handle.client.logout(), LOGOUT_TIMEOUT_MS, this.deps.clock, 'logout');
        loggedOut = true;
      } catch (error) {
        // The session is deleted below either way; the phone may keep showing a stale linked
        // device until WhatsApp expires it.
        this.deps.log.warn('Logout on WhatsApp failed; wiping the local session anyway', { error: describeError(error) });
      }
    }
    await this.deps.slot.close(handle);
    await this.forget('cleared by an operator');
    return { loggedOut, wiped: true };
  }

  /** The phone unlinked `handle` (already detached): close it, then delete what is left. */
  async afterRemoteLogout(handle: ClientHandle, reason: string): Promise<void> {
    await this.deps.slot.close(handle);
    await this.forget(reason).catch((error: unknown) => {
      this.deps.log.error('Could not wipe the logged-out session', { error: describeError(error) });
    });
  }

  private async forget(reason: string): Promise<void> {
    try {
      await this.deps.guard.killLeftovers();
      await this.deps.store.wipe();
    } catch (error) {
      const message = `Could not delete the saved session: ${describeError(error)}. Stop the daemon and delete it by hand.`;
      throw new AppError('CLEAR_FAILED', message, { cause: error });
    }
    await this.deps.pairing.ended(reason);
  }
}
