import type { OutboxMedia } from './media-store';
import type { WebhookEventDraft } from './webhook-store';

export type OutboxStatus = 'queued' | 'sending' | 'sent' | 'failed';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['queued', 'sending', 'sent', 'failed'];

/** Who put a message in the outbox: an application through the API, or a bot command. */
export type OutboxSource = 'api' | 'bot';

export interface OutboxError {
  readonly code: string;
  readonly message: string;
}

/** One message to send, as committed. Times are ms since the epoch. */
export interface OutboxRecord {
  readonly id: string;
  readonly chatId: string;
  /** The text, or the caption of `media` ('' for none). */
  readonly text: string;
  readonly media: OutboxMedia | null;
  readonly replyTo: string | null;
  readonly source: OutboxSource;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly createdAt: number;
  /** When the sender may try it next (backoff after a transient failure). */
  readonly nextAttemptAt: number;
  readonly sentAt: number | null;
  readonly waMessageId: string | null;
  readonly error: OutboxError | null;
  /** Orders messages: per chat, the sender sends them in this order. */
  readonly seq: number;
}

export interface NewOutboxMessage {
  readonly id: string;
  readonly chatId: string;
  readonly text: string;
  /** Its bytes already committed to the media store. */
  readonly media: OutboxMedia | null;
  readonly replyTo: string | null;
  readonly source: OutboxSource;
  readonly createdAt: number;
  /** With its fingerprint, so a replay with another body is told apart. */
  readonly idempotency: { readonly key: string; readonly fingerprint: string } | null;
}

export type EnqueueResult =
  | { readonly kind: 'created'; readonly record: OutboxRecord }
  /** The same key with the same body: the message already accepted. */
  | { readonly kind: 'replayed'; readonly record: OutboxRecord }
  /** The same key with another body. */
  | { readonly kind: 'conflict'; readonly record: OutboxRecord };

export interface OutboxPage {
  readonly messages: readonly OutboxRecord[];
  /** Pass as `before` for the next (older) page; null at the end. */
  readonly next: number | null;
}

export interface OutboxCounts {
  readonly queued: number;
  readonly sending: number;
  readonly sent: number;
  readonly failed: number;
  /** Age of the oldest message still waiting (queued or sending), ms; null when none. */
  readonly oldestPendingAgeMs: number | null;
}

/**
 * The durable outbox. Every method commits before it resolves: a message it accepted survives
 * SIGTERM and `kill -9`. Status changes can carry webhook events, committed in the same
 * transaction, so an event is never lost between the two.
 */
export interface OutboxStore {
  enqueue(message: NewOutboxMessage): Promise<EnqueueResult>;
  get(id: string): Promise<OutboxRecord | null>;
  list(options: { readonly status?: OutboxStatus; readonly limit: number; readonly before?: number }): Promise<OutboxPage>;
  /** Per chat, the first message not yet done (queued or sending), in order; at most `limit` chats. */
  heads(limit: number): Promise<readonly OutboxRecord[]>;
  /** queued -> sending: committed before WhatsApp is asked, so a crash mid-send is known at the next start. */
  markSending(id: string): Promise<void>;
  /** An attempt that worked. */
  markSent(id: string, sent: { readonly waMessageId: string; readonly sentAt: number }, events?: readonly WebhookEventDraft[]): Promise<void>;
  /** Back to queued, to try again at `nextAttemptAt`; `attempted` counts it as an attempt (a send that never reached WhatsApp does not). */
  markRetry(id: string, retry: { readonly error: OutboxError; readonly nextAttemptAt: number; readonly attempted: boolean }): Promise<void>;
  /** An attempt that can never work, or the last one allowed. */
  markFailed(id: string, error: OutboxError, now: number, events?: readonly WebhookEventDraft[]): Promise<void>;
  /** Messages left `sending` by a daemon that stopped mid-send go back to queued; returns how many. */
  requeueInterrupted(now: number): Promise<number>;
  /** The source and id of a sent message, by WhatsApp's id (for its acks). */
  findByWaMessageId(waMessageId: string): Promise<OutboxRecord | null>;
  counts(now: number): Promise<OutboxCounts>;
  /** Deletes sent and failed messages finished before `before`; returns how many. */
  prune(before: number): Promise<number>;
}
