/**
 * The JSON bodies of the operator API, one type per answer and one name per meaning:
 * `message` is what is saved on disk (status) or what happened (clear), `stateMessage` is what
 * the session's state means (status, health detail, events).
 */
import type { DropReason } from '../bot/bot-gate';
import type { LeaseRole } from '../cluster/lease-keeper';
import type { PrepareOutcome } from '../cluster/restore-profile';
import type { DatabaseHealth } from '../storage/postgres/pg-database';
import type { Backlog } from '../messaging/backlog';
import type { OutboxCounts, OutboxError, OutboxStatus } from '../storage/outbox-store';
import type { SessionCounters, SessionState } from '../session/session-state';
import type { PairedAccount } from '../whatsapp/wa-client';
import type { DeliveryCounts, DeliveryStatus } from '../storage/webhook-store';
import type { WebhookEventType } from '../config/event-types';
import type { MediaKind } from '../common/media-kind';

/** The snapshot as the admin page sees it: everything but the QR payload, which is a secret. */
export interface PublicSnapshot {
  /** Demo mode: the WhatsApp behind this daemon is simulated. Absent otherwise. */
  readonly simulated?: true;
  readonly state: SessionState;
  readonly since: string;
  readonly me: PairedAccount | null;
  readonly stateMessage: string;
  readonly sessionExpired: boolean;
  readonly hasQr: boolean;
  /** Also the cache buster of `/api/qr.png?v=`: a new QR has a new `qrIssuedAt`. */
  readonly qrIssuedAt: string | null;
  /** How the session pairs: `qr`, or `code` for `phoneNumber`; `retryAt` after a refused code. */
  readonly pairing: { readonly method: 'qr' | 'code'; readonly phoneNumber: string | null; readonly retryAt: string | null };
  /** A pairing code is on show (the code itself: GET /api/qr). */
  readonly hasCode: boolean;
  readonly codeExpiresAt: string | null;
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
  /** The outbox: how much waits, and how long the oldest has waited. */
  readonly outbox: OutboxCounts;
  /** Commands the bot did not run since start, by reason, and commands waiting for a slot. */
  readonly bot: { readonly dropped: Readonly<Record<DropReason, number>>; readonly queued: number };
  /** With DATABASE_URL only. */
  readonly cluster?: ClusterDetailBody;
}

export type HealthStatus = 'pass' | 'warn' | 'fail';

/** With DATABASE_URL: which instance runs the account, and what stands in its way. */
export interface ClusterBody {
  readonly role: LeaseRole;
  /** Why health is not `pass` on account of the database or the lease; null when nothing is wrong. */
  readonly problem: string | null;
}

/** The same, with the database, the lease and the saved session (authorized callers). */
export interface ClusterDetailBody extends ClusterBody {
  readonly database: DatabaseHealth;
  readonly lease: {
    readonly self: string;
    readonly holder: string | null;
    readonly generation: number | null;
    readonly expiresAt: string | null;
    readonly checkedAt: string | null;
    readonly lastError: string | null;
  };
  readonly sessionBackup: {
    readonly version: number | null;
    readonly lastSavedAt: string | null;
    readonly lastAttemptAt: string | null;
    readonly lastError: string | null;
    readonly saves: number;
    readonly failures: number;
    readonly prepared: PrepareOutcome | null;
  };
}

/** `GET /api/health`: the first three for everyone, the rest for authorized callers. */
export interface HealthBody {
  /** Demo mode only. */
  readonly simulated?: true;
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
  /** Whether the sender and the deliverer keep up (counted every few seconds). */
  readonly backlog?: BacklogBody | null;
  /** How many URLs get events; 0 = no webhooks set up (WEBHOOK_URL). */
  readonly webhooks?: { readonly urls: number; readonly events: readonly string[] };
  /** With DATABASE_URL only: the role for everyone, the details for authorized callers. */
  readonly cluster?: ClusterBody | ClusterDetailBody;
}

/** How far behind the sender and the deliverer are, counted at `checkedAt`. */
export interface BacklogBody extends Omit<Backlog, 'checkedAt'> {
  readonly checkedAt: string;
}

/** `GET /api/qr`. */
/** `GET /api/qr`: the QR payload (`method: 'qr'`) or the pairing code (`method: 'code'`). */
export interface QrBody {
  readonly state: SessionState;
  readonly method: 'qr' | 'code';
  /** The QR payload; null when pairing is by code. */
  readonly qr: string | null;
  /** The eight-character code; null when pairing is by QR. */
  readonly code: string | null;
  /** The number the code is for; null for a QR. */
  readonly phoneNumber: string | null;
  readonly issuedAt: string;
  /** When the code stops working; null for a QR (WhatsApp rotates those every ~20 s). */
  readonly expiresAt: string | null;
}

/** `POST` and `DELETE /api/session/pairing-code`. */
export interface PairingChangeBody {
  readonly state: SessionState;
  readonly pairing: { readonly method: 'qr' | 'code'; readonly phoneNumber: string | null };
  readonly message: string;
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

/** `POST /api/messages`: the message as committed. */
/** The file a message carries, as the record shows it (never its bytes). */
export interface MessageMediaBody {
  readonly mimetype: string;
  readonly filename: string | null;
  readonly size: number;
  readonly sha256: string;
  readonly kind: MediaKind;
}

export interface AcceptedMessageBody {
  readonly id: string;
  readonly status: OutboxStatus;
  /** The normalized chat id. */
  readonly to: string;
  readonly createdAt: string;
  /** Null for a text. */
  readonly media: MessageMediaBody | null;
}

/** `GET /api/messages/<id>`. */
export interface MessageBody extends AcceptedMessageBody {
  readonly sentAt: string | null;
  readonly waMessageId: string | null;
  readonly attempts: number;
  readonly error: OutboxError | null;
}

/** `GET /api/messages`: newest first; pass `next` as `before` for the next page. */
export interface MessagePageBody {
  readonly messages: readonly MessageBody[];
  readonly next: string | null;
}

export interface DeliveryBody {
  readonly id: string;
  /** The `webhook-id` of the event. */
  readonly eventId: string;
  readonly type: WebhookEventType;
  readonly url: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly createdAt: string;
  readonly nextAttemptAt: string | null;
  readonly deliveredAt: string | null;
  readonly lastError: string | null;
  readonly lastStatusCode: number | null;
}

/** `GET /api/webhooks/deliveries`. */
export interface DeliveryListBody {
  readonly deliveries: readonly DeliveryBody[];
  readonly counts: DeliveryCounts;
}
