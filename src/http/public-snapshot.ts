import type { PairedAccount, SessionSnapshot, SessionState } from '../session/session-state';

/** The snapshot as the admin page sees it: everything but the QR payload, which is a secret. */
export interface PublicSnapshot {
  readonly state: SessionState;
  readonly since: string;
  readonly me: PairedAccount | null;
  readonly message: string;
  readonly sessionExpired: boolean;
  readonly hasQr: boolean;
  /** Also the cache buster of `/api/qr.png?v=`: a new QR has a new `qrIssuedAt`. */
  readonly qrIssuedAt: string | null;
  readonly reconnectAttempt: number;
  readonly nextRetryAt: string | null;
}

export function toPublicSnapshot(snapshot: SessionSnapshot): PublicSnapshot {
  return {
    state: snapshot.state,
    since: snapshot.since.toISOString(),
    me: snapshot.me === null ? null : { id: snapshot.me.id, name: snapshot.me.name },
    message: snapshot.message,
    sessionExpired: snapshot.sessionExpired,
    hasQr: snapshot.qr !== null,
    qrIssuedAt: snapshot.qr?.issuedAt.toISOString() ?? null,
    reconnectAttempt: snapshot.reconnectAttempt,
    nextRetryAt: snapshot.nextRetryAt?.toISOString() ?? null,
  };
}

/** "Sim Phone (+15550001111)", or "+15550001111" when WhatsApp gave no name. */
export function describeAccount(me: PairedAccount): string {
  return me.name ? `${me.name} (+${me.id})` : `+${me.id}`;
}
