import { AppError } from '../common/errors';
import type { SessionControl } from '../session/session-state';

function standby(): AppError {
  return new AppError(
    'STANDBY',
    'This instance is a standby: another instance holds the session, and only that one may clear it or change how it pairs. To resolve, send this to the instance that holds it (its health is not "standby"), or stop that one and this one takes over.',
  );
}

/**
 * The session as HTTP sees it on an instance that may be a standby: reads pass, but a clear or
 * a pairing change (each launches a browser) is refused until this instance holds the lease.
 */
export function standbyGuard(session: SessionControl, isHolder: () => boolean): SessionControl {
  return {
    snapshot: () => session.snapshot(),
    counters: () => session.counters(),
    subscribe: (listener) => session.subscribe(listener),
    clear: () => (isHolder() ? session.clear() : Promise.reject(standby())),
    requestPairingCode: (phoneNumber) => (isHolder() ? session.requestPairingCode(phoneNumber) : Promise.reject(standby())),
    usePairingQr: () => (isHolder() ? session.usePairingQr() : Promise.reject(standby())),
  };
}
