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
import type { PgDatabase, Queryable } from './pg-database';
import type { PgWebhookStore } from './pg-webhook-store';

const COLUMNS = `seq, id, chat_id, text, reply_to, source, status, attempts, created_at, next_attempt_at, sent_at, wa_message_id,
  error_code, error_message, idempotency_key, fingerprint, media_json, media_sha256`;

/**
 * The outbox in PostgreSQL, one account's rows (`client_id`) of a table other accounts share.
 * Each method is one statement or transaction, committed before it resolves.
 */
export class PgOutboxStore implements OutboxStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly clientId: string,
    private readonly webhooks: PgWebhookStore,
  ) {}

  async enqueue(message: NewOutboxMessage): Promise<EnqueueResult> {
    const { idempotency } = message;
    // A row the insert did not make can be pruned before it is read; then the key is free again.
    for (;;) {
      // ON CONFLICT, not read-then-insert: a concurrent enqueue with the same key waits for the
      // other's commit here and inserts nothing, instead of failing on the unique index.
      const inserted = await this.db.query<OutboxRow>(
        `INSERT INTO wa_tether_outbox (client_id, id, chat_id, text, reply_to, source, status, attempts, created_at, next_attempt_at, idempotency_key, fingerprint, media_json, media_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $7, $8, $9, $10, $11)
         ON CONFLICT (client_id, idempotency_key) DO NOTHING RETURNING ${COLUMNS}`,
        [
          this.clientId,
          message.id,
          message.chatId,
          message.text,
          message.replyTo,
          message.source,
          message.createdAt,
          idempotency?.key ?? null,
          idempotency?.fingerprint ?? null,
          mediaColumns(message.media).mediaJson,
          message.media?.sha256 ?? null,
        ],
      );
      const created = inserted.rows[0];
      if (created) return { kind: 'created', record: toOutboxRecord(created) };
      if (idempotency === null) throw new Error('The outbox insert neither inserted nor conflicted.');
      // A new statement, so a new snapshot: it sees the row the other enqueue committed.
      const { rows } = await this.db.query<OutboxRow>(`SELECT ${COLUMNS} FROM wa_tether_outbox WHERE client_id = $1 AND idempotency_key = $2`, [
        this.clientId,
        idempotency.key,
      ]);
      const existing = rows[0];
      if (existing) return { kind: existing.fingerprint === idempotency.fingerprint ? 'replayed' : 'conflict', record: toOutboxRecord(existing) };
    }
  }

  async get(id: string): Promise<OutboxRecord | null> {
    const { rows } = await this.db.query<OutboxRow>(`SELECT ${COLUMNS} FROM wa_tether_outbox WHERE client_id = $1 AND id = $2`, [this.clientId, id]);
    return rows[0] ? toOutboxRecord(rows[0]) : null;
  }

  async list(options: { readonly status?: OutboxStatus; readonly limit: number; readonly before?: number }): Promise<OutboxPage> {
    const { rows } = await this.db.query<OutboxRow>(
      `SELECT ${COLUMNS} FROM wa_tether_outbox
       WHERE client_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR seq < $3)
       ORDER BY seq DESC LIMIT $4`,
      [this.clientId, options.status ?? null, options.before ?? null, options.limit + 1],
    );
    const page = rows.slice(0, options.limit);
    return { messages: page.map(toOutboxRecord), next: rows.length > options.limit ? (page.at(-1)?.seq ?? null) : null };
  }

  async heads(limit: number): Promise<readonly OutboxRecord[]> {
    const { rows } = await this.db.query<OutboxRow>(
      `SELECT ${COLUMNS} FROM wa_tether_outbox
       WHERE client_id = $1 AND seq IN (SELECT MIN(seq) FROM wa_tether_outbox WHERE client_id = $1 AND status IN ('queued', 'sending') GROUP BY chat_id)
       ORDER BY seq LIMIT $2`,
      [this.clientId, limit],
    );
    return rows.map(toOutboxRecord);
  }

  async markSending(id: string): Promise<void> {
    await this.db.query(`UPDATE wa_tether_outbox SET status = 'sending' WHERE client_id = $1 AND id = $2 AND status = 'queued'`, [this.clientId, id]);
  }

  async markSent(
    id: string,
    sent: { readonly waMessageId: string; readonly sentAt: number },
    events: readonly WebhookEventDraft[] = [],
  ): Promise<void> {
    await this.withEvents(events, (client) =>
      client.query(
        `UPDATE wa_tether_outbox SET status = 'sent', attempts = attempts + 1, sent_at = $3, finished_at = $3, wa_message_id = $4, error_code = NULL, error_message = NULL
         WHERE client_id = $1 AND id = $2`,
        [this.clientId, id, sent.sentAt, sent.waMessageId],
      ),
    );
  }

  async markRetry(id: string, retry: { readonly error: OutboxError; readonly nextAttemptAt: number; readonly attempted: boolean }): Promise<void> {
    await this.db.query(
      `UPDATE wa_tether_outbox SET status = 'queued', attempts = attempts + $3, next_attempt_at = $4, error_code = $5, error_message = $6 WHERE client_id = $1 AND id = $2`,
      [this.clientId, id, retry.attempted ? 1 : 0, retry.nextAttemptAt, retry.error.code, retry.error.message],
    );
  }

  async markFailed(id: string, error: OutboxError, now: number, events: readonly WebhookEventDraft[] = []): Promise<void> {
    await this.withEvents(events, (client) =>
      client.query(
        `UPDATE wa_tether_outbox SET status = 'failed', attempts = attempts + 1, finished_at = $3, error_code = $4, error_message = $5 WHERE client_id = $1 AND id = $2`,
        [this.clientId, id, now, error.code, error.message],
      ),
    );
  }

  async requeueInterrupted(now: number): Promise<number> {
    // The attempt counts: WhatsApp may have taken it before the daemon stopped.
    const message = 'The daemon stopped while this message was being sent; it is sent again, so WhatsApp may show it twice.';
    const result = await this.db.query(
      `UPDATE wa_tether_outbox SET status = 'queued', attempts = attempts + 1, next_attempt_at = $2, error_code = 'INTERRUPTED', error_message = $3
       WHERE client_id = $1 AND status = 'sending'`,
      [this.clientId, now, message],
    );
    return result.rowCount ?? 0;
  }

  async findByWaMessageId(waMessageId: string): Promise<OutboxRecord | null> {
    const { rows } = await this.db.query<OutboxRow>(`SELECT ${COLUMNS} FROM wa_tether_outbox WHERE client_id = $1 AND wa_message_id = $2`, [
      this.clientId,
      waMessageId,
    ]);
    return rows[0] ? toOutboxRecord(rows[0]) : null;
  }

  async counts(now: number): Promise<OutboxCounts> {
    // One statement, so the counts and the oldest age come from the same snapshot.
    const { rows } = await this.db.query<{ queued: number; sending: number; sent: number; failed: number; oldest: number | null }>(
      `SELECT COUNT(*) FILTER (WHERE status = 'queued') AS queued,
              COUNT(*) FILTER (WHERE status = 'sending') AS sending,
              COUNT(*) FILTER (WHERE status = 'sent') AS sent,
              COUNT(*) FILTER (WHERE status = 'failed') AS failed,
              MIN(created_at) FILTER (WHERE status IN ('queued', 'sending')) AS oldest
         FROM wa_tether_outbox WHERE client_id = $1`,
      [this.clientId],
    );
    const row = rows[0];
    const oldest = row?.oldest ?? null;
    return {
      queued: row?.queued ?? 0,
      sending: row?.sending ?? 0,
      sent: row?.sent ?? 0,
      failed: row?.failed ?? 0,
      oldestPendingAgeMs: oldest === null ? null : Math.max(0, now - oldest),
    };
  }

  async prune(before: number): Promise<number> {
    const result = await this.db.query(`DELETE FROM wa_tether_outbox WHERE client_id = $1 AND status IN ('sent', 'failed') AND finished_at < $2`, [
      this.clientId,
      before,
    ]);
    return result.rowCount ?? 0;
  }

  /** The status change and its events in one transaction: an event is never lost between the two. */
  private async withEvents(events: readonly WebhookEventDraft[], change: (client: Queryable) => Promise<unknown>): Promise<void> {
    if (events.length === 0) {
      await change(this.db);
      return;
    }
    await this.db.transaction(async (client) => {
      await change(client);
      for (const event of events) await this.webhooks.recordWith(client, event);
    });
  }
}
