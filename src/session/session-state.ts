import type { PairedAccount } from '../whatsapp/wa-client';

/** The lifecycle states; `transitions.ts` has the edges between them. */
export const SESSION_STATES = ['starting', 'qr', 'authenticated', 'ready', 'reconnecting', 'logged_out', 'failed', 'stopping'] as const;

export type SessionState = (typeof SESSION_STATES)[number];

export interface CurrentQr {
  /** The raw pairing payload. Secret: whoever has it can link a device. */
  readonly payload: string;
  readonly issuedAt: Date;
}

/** A pairing code on show: typed on the phone under "Link with phone number instead". */
export interface CurrentCode {
  /** Eight characters. Secret while it lasts: whoever types it on that phone links a device. */
  readonly value: string;
  /** The number it was issued for. */
  readonly phoneNumber: string;
  readonly issuedAt: Date;
  /** When WhatsApp replaces it; it is not accepted after. */
  readonly expiresAt: Date;
}

/** How the session pairs when WhatsApp asks: a QR to scan, or a code for a phone number. */
export interface PairingMode {
  readonly method: 'qr' | 'code';
  /** The number codes are asked for (method `code`). */
  readonly phoneNumber: string | null;
  /** After a refusal ("too many attempts"): no code is asked for before this. */
  readonly retryAt: Date | null;
}

/**
 * An immutable picture of the session, taken whenever it changes. Everything outside
 * the supervisor (HTTP, admin page, logs) reads this and nothing else.
 */
export interface SessionSnapshot {
  readonly state: SessionState;
  /** When `state` was entered. */
  readonly since: Date;
  /** The linked account, from the live client or, before it is up, from the metadata file. */
  readonly me: PairedAccount | null;
  readonly qr: CurrentQr | null;
  /** The pairing code on show (state `qr` with `pairing.method` `code`). */
  readonly code: CurrentCode | null;
  readonly pairing: PairingMode;
  /** A QR was asked for although a session existed: it expired or was revoked on the phone. */
  readonly sessionExpired: boolean;
  /** Human-readable explanation of the state, safe for operators and logs. */
  readonly message: string;
  /** Reconnect attempts since the last `ready`. */
  readonly reconnectAttempt: number;
  /** When the next reconnect attempt starts (only in `reconnecting`). */
  readonly nextRetryAt: Date | null;
  /** The last error that moved the state, redacted to a message. */
  readonly lastError: string | null;
}

/** Why a session went to `reconnecting`. */
export const RECONNECT_CAUSES = ['disconnected', 'browser_closed', 'start_timeout', 'ready_timeout', 'watchdog', 'memory', 'start_failed'] as const;
export type ReconnectCause = (typeof RECONNECT_CAUSES)[number];

/** Running totals since the process started, for status and metrics. */
export interface SessionCounters {
  readonly readyTransitions: number;
  readonly qrShown: number;
  readonly pairingCodesShown: number;
  /** The phone unlinked us (or a QR came after login). */
  readonly remoteLogouts: number;
  /** Operator clears. */
  readonly clears: number;
  readonly reconnects: Readonly<Record<ReconnectCause, number>>;
  /** Watchdog probes that failed (no answer, an error, or no socket while ready). */
  readonly watchdogFailures: number;
  readonly messagesReceived: number;
  /** Messages that arrived encrypted and never decrypted (WhatsApp gave up after a resend request). */
  readonly undecryptableMessages: number;
}

/** What the HTTP layer may ask of the session: read a snapshot, watch it, clear it. */
export interface SessionControl {
  snapshot(): SessionSnapshot;
  counters(): SessionCounters;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void;
  /** Logs out if possible, wipes the profile, comes back with a fresh QR. Idempotent, serialized. */
  clear(): Promise<ClearResult>;
  /** Pair by a code for this number from now on; only while WhatsApp waits to be paired. */
  requestPairingCode(phoneNumber: string): Promise<'requested' | 'restarting'>;
  /** Pair by QR from now on; only while WhatsApp waits to be paired. */
  usePairingQr(): Promise<'unchanged' | 'restarting'>;
}

export function emptyCounters(): SessionCounters {
  return {
    readyTransitions: 0,
    qrShown: 0,
    pairingCodesShown: 0,
    remoteLogouts: 0,
    clears: 0,
    reconnects: Object.fromEntries(RECONNECT_CAUSES.map((cause) => [cause, 0])) as Record<ReconnectCause, number>,
    watchdogFailures: 0,
    messagesReceived: 0,
    undecryptableMessages: 0,
  };
}

export interface ClearResult {
  readonly loggedOut: boolean;
  readonly wiped: boolean;
}

/** The counters the lifecycle keeps (the message counts are `MessageTraffic`'s). */
export type LifecycleTotals = {
  -readonly [K in Exclude<keyof SessionCounters, 'messagesReceived' | 'undecryptableMessages'>]: SessionCounters[K] extends number
    ? number
    : Record<ReconnectCause, number>;
};
