import type { OutboxRecord, OutboxSource, OutboxStatus } from '../messaging/outbox-store';

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
}

export function toOutboxRecord(row: OutboxRow): OutboxRecord {
  return {
    id: row.id,
    chatId: row.chat_id,
    text: row.text,
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
