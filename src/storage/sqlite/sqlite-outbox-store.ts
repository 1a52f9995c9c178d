import type {
  EnqueueResult,
  NewOutboxMessage,
  OutboxCounts,
  OutboxError,
  OutboxPage,
  OutboxRecord,
  OutboxStatus,
  OutboxStore,
} from '../outbox-store';
import { mediaColumns, type OutboxRow, toOutboxRecord } from '../outbox-row';
import type { WebhookEventDraft } from '../webhook-store';
import type { SqliteDatabase } from './open-database';
import type { SqliteWebhookStore } from './sqlite-webhook-store';

/** The outbox in SQLite. Each method is one transaction, committed before it resolves. */
export class SqliteOutboxStore implements OutboxStore {
  private readonly byId;
  private readonly byKey;
  private readonly insert;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly webhooks: SqliteWebhookStore,
  ) {
    this.byId = db.prepare<[string], OutboxRow>('SELECT * FROM outbox WHERE id = ?');
    this.byKey = db.prepare<[string], OutboxRow>('SELECT * FROM outbox WHERE idempotency_key = ?');
    this.insert = db.prepare(
      `INSERT INTO outbox (id, chat_id, text, reply_to, source, status, attempts, created_at, next_attempt_at, idempotency_key, fingerprint, media_json, media_sha256)
       VALUES (@id, @chatId, @text, @replyTo, @source, 'queued', 0, @createdAt, @createdAt, @key, @fingerprint, @mediaJson, @mediaSha256)`,
    );
  }

  async enqueue(message: NewOutboxMessage): Promise<EnqueueResult> {
    return this.db.transaction((): EnqueueResult => {
      const { idempotency } = message;
      if (idempotency !== null) {
        const existing = this.byKey.get(idempotency.key);
        if (existing) {
          return { kind: existing.fingerprint === idempotency.fingerprint ? 'replayed' : 'conflict', record: toOutboxRecord(existing) };
        }
      }
      const { media, ...rest } = message;
      this.insert.run({ ...rest, ...mediaColumns(media), key: idempotency?.key ?? null, fingerprint: idempotency?.fingerprint ?? null });
      return { kind: 'created', record: toOutboxRecord(this.byId.get(message.id) as OutboxRow) };
    })();
  }

  async get(id: string): Promise<OutboxRecord | null> {
    const row = this.byId.get(id);
    return row ? toOutboxRecord(row) : null;
  }

  async list(options: { readonly status?: OutboxStatus; readonly limit: number; readonly before?: number }): Promise<OutboxPage> {
    const rows = this.db
      .prepare<unknown[], OutboxRow>(
        `SELECT * FROM outbox WHERE (@status IS NULL OR status = @status) AND (@before IS NULL OR seq < @before) ORDER BY seq DESC LIMIT @limit`,
      )
      .all({ status: options.status ?? null, before: options.before ?? null, limit: options.limit + 1 });
    const page = rows.slice(0, options.limit);
    return { messages: page.map(toOutboxRecord), next: rows.length > options.limit ? (page.at(-1)?.seq ?? null) : null };
  }

  async heads(limit: number): Promise<readonly OutboxRecord[]> {
    return this.db
      .prepare<[number], OutboxRow>(
        `SELECT o.* FROM outbox o
         JOIN (SELECT MIN(seq) AS seq FROM outbox WHERE status IN ('queued', 'sending') GROUP BY chat_id) h ON h.seq = o.seq
         ORDER BY o.seq LIMIT ?`,
      )
      .all(limit)
      .map(toOutboxRecord);
  }

  async markSending(id: string): Promise<void> {
    this.db.prepare(`UPDATE outbox SET status = 'sending' WHERE id = ? AND status = 'queued'`).run(id);
  }

  async markSent(
    id: string,
    sent: { readonly waMessageId: string; readonly sentAt: number },
    events: readonly WebhookEventDraft[] = [],
  ): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, finished_at = ?, wa_message_id = ?, error_code = NULL, error_message = NULL WHERE id = ?`,
        )
        .run(sent.sentAt, sent.sentAt, sent.waMessageId, id);
      for (const event of events) this.webhooks.recordNow(event);
    })();
  }

  async markRetry(id: string, retry: { readonly error: OutboxError; readonly nextAttemptAt: number; readonly attempted: boolean }): Promise<void> {
    this.db
      .prepare(`UPDATE outbox SET status = 'queued', attempts = attempts + ?, next_attempt_at = ?, error_code = ?, error_message = ? WHERE id = ?`)
      .run(retry.attempted ? 1 : 0, retry.nextAttemptAt, retry.error.code, retry.error.message, id);
  }

  async markFailed(id: string, error: OutboxError, now: number, events: readonly WebhookEventDraft[] = []): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(`UPDATE outbox SET status = 'failed', attempts = attempts + 1, finished_at = ?, error_code = ?, error_message = ? WHERE id = ?`)
        .run(now, error.code, error.message, id);
      for (const event of events) this.webhooks.recordNow(event);
    })();
  }

  async requeueInterrupted(now: number): Promise<number> {
    // The attempt counts: WhatsApp may have taken it before the daemon stopped.
    const message = 'The daemon stopped while this message was being sent; it is sent again, so WhatsApp may show it twice.';
    return this.db
      .prepare(
        `UPDATE outbox SET status = 'queued', attempts = attempts + 1, next_attempt_at = ?, error_code = 'INTERRUPTED', error_message = ? WHERE status = 'sending'`,
      )
      .run(now, message).changes;
  }

  async findByWaMessageId(waMessageId: string): Promise<OutboxRecord | null> {
    const row = this.db.prepare<[string], OutboxRow>('SELECT * FROM outbox WHERE wa_message_id = ?').get(waMessageId);
    return row ? toOutboxRecord(row) : null;
  }

  async counts(now: number): Promise<OutboxCounts> {
    const byStatus = this.db.prepare<[], { status: OutboxStatus; n: number }>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all();
    const count = (status: OutboxStatus): number => byStatus.find((row) => row.status === status)?.n ?? 0;
    const oldest = this.db.prepare<[], { at: number | null }>(`SELECT MIN(created_at) AS at FROM outbox WHERE status IN ('queued', 'sending')`).get();
    return {
      queued: count('queued'),
      sending: count('sending'),
      sent: count('sent'),
      failed: count('failed'),
      oldestPendingAgeMs: oldest?.at === null || oldest?.at === undefined ? null : Math.max(0, now - oldest.at),
    };
  }

  async prune(before: number): Promise<number> {
    return this.db.prepare(`DELETE FROM outbox WHERE status IN ('sent', 'failed') AND finished_at < ?`).run(before).changes;
  }
}
