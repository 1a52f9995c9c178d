import type { OutboxMedia } from './media-store';
import type { OutboxRecord, OutboxSource, OutboxStatus } from './outbox-store';

/** An outbox row as both databases store it (the same columns in SQLite and PostgreSQL). */
export interface OutboxRow {
  seq: number;
  id: string;
  chat_id: string;
  text: string;
  reply_to: string | null;
  source: OutboxSource;
  status: OutboxStatus;
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  sent_at: number | null;
  wa_message_id: string | null;
  error_code: string | null;
  error_message: string | null;
  idempotency_key: string | null;
  fingerprint: string | null;
  /** JSON of the OutboxMedia; null for a text. */
  media_json: string | null;
  media_sha256: string | null;
}

export function toOutboxRecord(row: OutboxRow): OutboxRecord {
  return {
    id: row.id,
    chatId: row.chat_id,
    text: row.text,
    media: row.media_json === null ? null : (JSON.parse(row.media_json) as OutboxMedia),
    replyTo: row.reply_to,
    source: row.source,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at,
    sentAt: row.sent_at,
    waMessageId: row.wa_message_id,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    seq: row.seq,
  };
}

/** The media columns of a new row. */
export function mediaColumns(media: OutboxMedia | null): { mediaJson: string | null; mediaSha256: string | null } {
  return { mediaJson: media === null ? null : JSON.stringify(media), mediaSha256: media?.sha256 ?? null };
}
