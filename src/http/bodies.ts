/**
 * The JSON bodies of the operator API, one type per answer and one name per meaning:
 * `message` is what is saved on disk (status) or what happened (clear), `stateMessage` is what
 * the session's state means (status, health detail, events).
 */
import type { PairedAccount, SessionCounters, SessionState } from '../session/session-state';

/** The snapshot as the admin page sees it: everything but the QR payload, which is a secret. */
export interface PublicSnapshot {
  readonly state: SessionState;
  readonly since: string;
  readonly me: PairedAccount | null;
  readonly stateMessage: string;
  readonly sessionExpired: boolean;
  readonly hasQr: boolean;
  /** Also the cache buster of `/api/qr.png?v=`: a new QR has a new `qrIssuedAt`. */
  readonly qrIssuedAt: string | null;
  readonly reconnectAttempt: number;
  readonly nextRetryAt: string | null;
}

/** What is saved of the session. `exists` is null until the first look has finished. */
export interface SavedSession {
  readonly exists: boolean | null;
  readonly lastModified: string | null;
  readonly size: number;
  readonly path: string;
}

/** `GET /api/session/status`. */
export interface SessionStatusBody extends SavedSession, PublicSnapshot {
  /** What is on disk and what it means now, in plain words. */
  readonly message: string;
  readonly clientId: string;
  /** When the saved session was last looked at. */
  readonly checkedAt: string;
  readonly counters: SessionCounters;
}

export type HealthStatus = 'pass' | 'warn' | 'fail';

/** `GET /api/health`: the first three for everyone, the rest for authorized callers. */
export interface HealthBody {
  readonly status: HealthStatus;
  readonly whatsapp: SessionState;
  readonly authenticated: boolean;
  readonly time?: string;
  readonly since?: string;
  readonly stateMessage?: string;
  readonly me?: PairedAccount | null;
  readonly session?: {
    readonly exists: boolean | null;
    readonly info: SavedSession;
    readonly authPath: string;
    readonly clientId: string;
  };
}

/** `GET /api/qr`. */
export interface QrBody {
  readonly state: SessionState;
  readonly qr: string;
  readonly issuedAt: string;
}

/** `DELETE /api/session/clear`. */
export interface ClearBody {
  readonly success: true;
  readonly message: string;
}

/** Every error. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}
