import type { SessionInfo } from '../storage/session-info';
import type { SessionSnapshot } from '../session/session-state';
import { describeAccount } from './public-snapshot';

const EXPIRED = 'A session was saved but WhatsApp no longer accepts it (expired or revoked on the phone): scan the new QR at /qr.';

/** What the state means for the saved session, as the end of "Session saved on disk; ...". */
function savedSessionClause(snapshot: SessionSnapshot): string {
  const who = snapshot.me === null ? '' : ` as ${describeAccount(snapshot.me)}`;
  switch (snapshot.state) {
    case 'ready':
      return `connected${who}.`;
    case 'authenticated':
      return `WhatsApp accepted it and is syncing${who}.`;
    case 'starting':
      return 'WhatsApp Web is starting and will restore it.';
    case 'reconnecting':
      return `the connection was lost; reconnecting (attempt ${snapshot.reconnectAttempt}).`;
    case 'qr':
      return 'WhatsApp is nevertheless asking for a QR: scan it at /qr.';
    case 'logged_out':
      return 'it was logged out and is being replaced by a fresh one.';
    case 'failed':
      return 'the daemon gave up reconnecting. To resolve, restart the process.';
    case 'stopping':
      return 'the daemon is shutting down; it will restore the session when it starts again.';
  }
}

/**
 * The plain-words `message` of `/api/session/status`: what is on disk and what it means now.
 * `info` is the inspector's cached picture, so right after pairing it may still say "absent".
 */
export function describeDiskSession(info: SessionInfo, snapshot: SessionSnapshot): string {
  if (snapshot.sessionExpired) return EXPIRED;
  if (info.exists === null) return 'Checking the saved session on disk; ask again in a moment.';
  if (info.exists) return `Session saved on disk; ${savedSessionClause(snapshot)}`;
  if (snapshot.state === 'ready' || snapshot.state === 'authenticated') {
    const who = snapshot.me === null ? '' : ` as ${describeAccount(snapshot.me)}`;
    return `Connected${who}; the saved session was not on disk at the last check and will show up after the next one.`;
  }
  return 'No session on disk: scan the QR at /qr to pair.';
}
