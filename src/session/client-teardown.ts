import type { Clock } from '../common/clock';
import { settleWithin, withTimeout } from '../common/with-timeout';
import type { ProfileGuard } from '../chromium/profile-guard';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { WaClient } from '../whatsapp/wa-client';

/** A client in use, tagged with the generation its events must carry to count. */
export interface ClientHandle {
  readonly client: WaClient;
  readonly generation: number;
  /** `initialize()`, its failure already handed to the supervisor: never rejects. */
  initialized: Promise<void>;
  /** `initialize()` has settled: a destroy now reaches the browser it launched, if any. */
  initSettled: boolean;
  /** This client reached `authenticated` or `ready`: a later QR means the session is gone. */
  wasAuthenticated: boolean;
}

/** Starts a client's `initialize()` and tracks when it settles. */
export function startClient(client: WaClient, generation: number, onStartFailure: (error: unknown) => void): ClientHandle {
  const handle: ClientHandle = { client, generation, initialized: Promise.resolve(), initSettled: false, wasAuthenticated: false };
  handle.initialized = client
    .initialize()
    .catch(onStartFailure)
    .finally(() => {
      handle.initSettled = true;
    });
  return handle;
}

/** Bounds on each step: a hung browser must not hold up a clear or a shutdown. */
const DESTROY_TIMEOUT_MS = 5_000;
const INIT_SETTLE_TIMEOUT_MS = 10_000;

export interface TeardownDeps {
  readonly clock: Clock;
  readonly guard: ProfileGuard;
  readonly log: Logger;
}

/**
 * Closes a client's browser for good: destroy; if `initialize()` was still under way, wait for
 * it (it may launch a browser after our destroy) and destroy again; then end any Chromium still
 * holding the profile. Every step bounded; never throws.
 */
export async function closeClient(handle: ClientHandle | null, deps: TeardownDeps): Promise<void> {
  if (!handle) return;
  const destroy = async (): Promise<void> => {
    try {
      await withTimeout(handle.client.destroy(), DESTROY_TIMEOUT_MS, deps.clock, 'destroy');
    } catch (error) {
      deps.log.debug('destroy() failed; the browser is ended by process below', { error: describeError(error) });
    }
  };
  const launching = !handle.initSettled;
  await destroy();
  if (launching) {
    // initialize() may launch its browser after our destroy(): close that one too.
    if (await settleWithin(handle.initialized, INIT_SETTLE_TIMEOUT_MS, deps.clock)) {
      await destroy();
    } else {
      void handle.initialized.then(destroy);
    }
  }
  try {
    const ended = await deps.guard.killLeftovers();
    if (ended > 0) deps.log.warn(`Ended ${ended} Chromium processes that outlived destroy()`);
  } catch (error) {
    deps.log.warn('Could not check for leftover Chromium processes', { error: describeError(error) });
  }
}
