import { randomUUID } from 'node:crypto';
import type { Delivery, DeliveryCounts, DeliveryStatus, WebhookEventDraft, WebhookRouting, WebhookStore } from '../webhook-store';
import { type DeliveryRow, toDelivery } from '../delivery-row';
import type { SqliteDatabase } from './open-database';

const SELECT = `SELECT d.*, e.type AS event_type, e.body AS body FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id`;

/** Webhook events and deliveries in SQLite. Each method is one transaction, committed before it resolves. */
export class SqliteWebhookStore implements WebhookStore {
  private readonly insertEvent;
  private readonly insertDelivery;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly routing: WebhookRouting,
  ) {
    this.insertEvent = db.prepare('INSERT INTO webhook_events (id, type, body, created_at) VALUES (?, ?, ?, ?)');
    this.insertDelivery = db.prepare(
      `INSERT INTO webhook_deliveries (id, event_id, url, status, attempts, created_at, retry_from, next_attempt_at)
       VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`,
    );
  }

  async record(event: WebhookEventDraft): Promise<boolean> {
    return this.db.transaction(() => this.recordNow(event))();
  }

  /** Inside a transaction the caller already holds (the outbox's status changes). */
  recordNow(event: WebhookEventDraft): boolean {
    if (this.routing.urls.length === 0 || !this.routing.events.has(event.type)) return false;
    this.insertEvent.run(event.id, event.type, event.body, event.createdAt);
    for (const url of this.routing.urls) {
      this.insertDelivery.run(`dlv_${randomUUID()}`, event.id, url, event.createdAt, event.createdAt, event.createdAt);
    }
    return true;
  }

  async due(now: number, limit: number): Promise<readonly Delivery[]> {
    return this.db
      .prepare<[number, number], DeliveryRow>(
        `${SELECT} WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.created_at LIMIT ?`,
      )
      .all(now, limit)
      .map(toDelivery);
  }

  async nextDueAt(): Promise<number | null> {
    const row = this.db
      .prepare<[], { at: number | null }>(`SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status IN ('pending', 'failed')`)
      .get();
    return row?.at ?? null;
  }

  async markDelivered(id: string, now: number, statusCode: number): Promise<void> {
    this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, finished_at = ?, last_status_code = ?, last_error = NULL WHERE id = ?`,
      )
      .run(now, now, statusCode, id);
  }

  async markFailed(
    id: string,
    update: { readonly attempts: number; readonly nextAttemptAt: number; readonly error: string; readonly statusCode: number | null },
  ): Promise<void> {
    this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'failed', attempts = ?, next_attempt_at = ?, last_error = ?, last_status_code = ? WHERE id = ?`,
      )
      .run(update.attempts, update.nextAttemptAt, update.error, update.statusCode, id);
  }

  async markDead(
    id: string,
    update: { readonly attempts: number; readonly at: number; readonly error: string; readonly statusCode: number | null },
  ): Promise<void> {
    this.db
      .prepare(`UPDATE webhook_deliveries SET status = 'dead', attempts = ?, finished_at = ?, last_error = ?, last_status_code = ? WHERE id = ?`)
      .run(update.attempts, update.at, update.error, update.statusCode, id);
  }

  async get(id: string): Promise<Delivery | null> {
    const row = this.db.prepare<[string], DeliveryRow>(`${SELECT} WHERE d.id = ?`).get(id);
    return row ? toDelivery(row) : null;
  }

  async list(options: { readonly status?: DeliveryStatus; readonly limit: number }): Promise<readonly Delivery[]> {
    return this.db
      .prepare<unknown[], DeliveryRow>(`${SELECT} WHERE (@status IS NULL OR d.status = @status) ORDER BY d.created_at DESC LIMIT @limit`)
      .all({ status: options.status ?? null, limit: options.limit })
      .map(toDelivery);
  }

  async retry(id: string, now: number): Promise<Delivery | null> {
    const changed = this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'pending', retry_from = ?, next_attempt_at = ?, finished_at = NULL WHERE id = ? AND status IN ('failed', 'dead')`,
      )
      .run(now, now, id).changes;
    return changed === 0 ? null : this.get(id);
  }

  async counts(now: number): Promise<DeliveryCounts> {
    const byStatus = this.db
      .prepare<[], { status: DeliveryStatus; n: number }>('SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status')
      .all();
    const count = (status: DeliveryStatus): number => byStatus.find((row) => row.status === status)?.n ?? 0;
    const oldest = this.db
      .prepare<[], { at: number | null }>(`SELECT MIN(created_at) AS at FROM webhook_deliveries WHERE status IN ('pending', 'failed')`)
      .get();
    const last = this.db
      .prepare<[], { last_error: string }>(
        `SELECT last_error FROM webhook_deliveries WHERE last_error IS NOT NULL AND status <> 'delivered' ORDER BY next_attempt_at DESC LIMIT 1`,
      )
      .get();
    return {
      pending: count('pending'),
      failed: count('failed'),
      dead: count('dead'),
      delivered: count('delivered'),
      oldestPendingAgeMs: oldest?.at === null || oldest?.at === undefined ? null : Math.max(0, now - oldest.at),
      lastError: last?.last_error ?? null,
    };
  }

  async prune(before: number): Promise<number> {
    return this.db.transaction(() => {
      const removed = this.db.prepare(`DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'dead') AND finished_at < ?`).run(before).changes;
      this.db.prepare('DELETE FROM webhook_events WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)').run();
      return removed;
    })();
  }
}
