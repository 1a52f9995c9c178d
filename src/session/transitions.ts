import type { SessionState } from './session-state';

/**
 * The lifecycle's edges. Besides these, three hold for every state: `logged_out` (an operator's
 * clear, from every state but `stopping`, and a remote logout noticed in any phase of a login),
 * `failed` (the retry budget spent, a wipe that failed, a setting no retry can fix) and
 * `stopping` (SIGTERM/SIGINT).
 */
export const TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  starting: ['qr', 'authenticated', 'reconnecting'],
  // qr -> starting: an operator changed the pairing method (QR or code), so a new client starts.
  qr: ['authenticated', 'reconnecting', 'starting'],
  authenticated: ['ready', 'reconnecting'],
  ready: ['reconnecting'],
  reconnecting: ['starting'],
  logged_out: ['starting'],
  failed: [],
  stopping: [],
};

/** Whether the lifecycle allows `from` → `to`. Staying in a state (an update) is always allowed. */
export function isAllowedTransition(from: SessionState, to: SessionState): boolean {
  if (from === to) return true;
  if (to === 'stopping') return from !== 'stopping';
  if (from === 'stopping') return false;
  if (to === 'failed') return true;
  if (to === 'logged_out') return true;
  return TRANSITIONS[from].includes(to);
}
