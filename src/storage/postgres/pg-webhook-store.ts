import { randomUUID } from 'node:crypto';
import type { Delivery, DeliveryCounts, DeliveryStatus, WebhookEventDraft, WebhookRouting, WebhookStore } from '../webhook-store';
import { type DeliveryRow, toDelivery } from '../delivery-row';
import type { PgDatabase, Queryable } from './pg-database';

const COLUMNS = `d.id, d.event_id, e.type AS event_type, d.url, e.body, d.status, d.attempts, d.created_at, d.retry_from, d.next_attempt_at,
  d.delivered_at, d.last_error, d.last_status_code`;
const SELECT = `SELECT ${COLUMNS} FROM wa_tether_webhook_deliveries d JOIN wa_tether_webhook_events e ON e.client_id = d.client_id AND e.id = d.event_id`;

/**
 * Webhook events and deliveries in PostgreSQL, one account's rows (`client_id`) of tables other
 * accounts share. Each method is one statement or transaction, committed before it resolves.
 */
export class PgWebhookStore implements WebhookStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly clientId: string,
    private readonly routing: WebhookRouting,
  ) {}

  async record(event: WebhookEventDraft): Promise<boolean> {
    if (!this.wants(event)) return false;
    return this.db.transaction((client) => this.recordWith(client, event));
  }

  /** Inside a transaction the caller already holds (the outbox's status changes). */
  async recordWith(client: Queryable, event: WebhookEventDraft): Promise<boolean> {
    if (!this.wants(event)) return false;
    await client.query('INSERT INTO wa_tether_webhook_events (client_id, id, type, body, created_at) VALUES ($1, $2, $3, $4, $5)', [
      this.clientId,
      event.id,
      event.type,
      event.body,
      event.createdAt,
    ]);
    await client.query(
      `INSERT INTO wa_tether_webhook_deliveries (client_id, id, event_id, url, status, attempts, created_at, retry_from, next_attempt_at)
       SELECT $1, d.id, $2, d.url, 'pending', 0, $5, $5, $5 FROM unnest($3::text[], $4::text[]) AS d(id, url)`,
      [this.clientId, event.id, this.routing.urls.map(() => `dlv_${randomUUID()}`), this.routing.urls, event.createdAt],
    );
    return true;
  }

  async due(now: number, limit: number): Promise<readonly Delivery[]> {
    const { rows } = await this.db.query<DeliveryRow>(
      `${SELECT} WHERE d.client_id = $1 AND d.status IN ('pending', 'failed') AND d.next_attempt_at <= $2 ORDER BY d.next_attempt_at, d.created_at LIMIT $3`,
      [this.clientId, now, limit],
    );
    return rows.map(toDelivery);
  }

  async nextDueAt(): Promise<number | null> {
    const { rows } = await this.db.query<{ at: number | null }>(
      `SELECT MIN(next_attempt_at) AS at FROM wa_tether_webhook_deliveries WHERE client_id = $1 AND status IN ('pending', 'failed')`,
      [this.clientId],
    );
    return rows[0]?.at ?? null;
  }

  async markDelivered(id: string, now: number, statusCode: number): Promise<void> {
    await this.db.query(
      `UPDATE wa_tether_webhook_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = $3, finished_at = $3, last_status_code = $4, last_error = NULL
       WHERE client_id = $1 AND id = $2`,
      [this.clientId, id, now, statusCode],
    );
  }

  async markFailed(
    id: string,
    update: { readonly attempts: number; readonly nextAttemptAt: number; readonly error: string; readonly statusCode: number | null },
  ): Promise<void> {
    await this.db.query(
      `UPDATE wa_tether_webhook_deliveries SET status = 'failed', attempts = $3, next_attempt_at = $4, last_error = $5, last_status_code = $6 WHERE client_id = $1 AND id = $2`,
      [this.clientId, id, update.attempts, update.nextAttemptAt, update.error, update.statusCode],
    );
  }

  async markDead(
    id: string,
    update: { readonly attempts: number; readonly at: number; readonly error: string; readonly statusCode: number | null },
  ): Promise<void> {
    await this.db.query(
      `UPDATE wa_tether_webhook_deliveries SET status = 'dead', attempts = $3, finished_at = $4, last_error = $5, last_status_code = $6 WHERE client_id = $1 AND id = $2`,
      [this.clientId, id, update.attempts, update.at, update.error, update.statusCode],
    );
  }

  async get(id: string): Promise<Delivery | null> {
    const { rows } = await this.db.query<DeliveryRow>(`${SELECT} WHERE d.client_id = $1 AND d.id = $2`, [this.clientId, id]);
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  async list(options: { readonly status?: DeliveryStatus; readonly limit: number }): Promise<readonly Delivery[]> {
    const { rows } = await this.db.query<DeliveryRow>(
      `${SELECT} WHERE d.client_id = $1 AND ($2::text IS NULL OR d.status = $2) ORDER BY d.created_at DESC LIMIT $3`,
      [this.clientId, options.status ?? null, options.limit],
    );
    return rows.map(toDelivery);
  }

  async retry(id: string, now: number): Promise<Delivery | null> {
    // One statement: the delivery returned is the one this call changed, not a later state.
    const { rows } = await this.db.query<DeliveryRow>(
      `WITH d AS (
         UPDATE wa_tether_webhook_deliveries SET status = 'pending', retry_from = $3, next_attempt_at = $3, finished_at = NULL
         WHERE client_id = $1 AND id = $2 AND status IN ('failed', 'dead') RETURNING *
       )
       SELECT ${COLUMNS} FROM d JOIN wa_tether_webhook_events e ON e.client_id = d.client_id AND e.id = d.event_id`,
      [this.clientId, id, now],
    );
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  async counts(now: number): Promise<DeliveryCounts> {
    // One statement, so the counts and the oldest age come from the same snapshot.
    const { rows } = await this.db.query<{
      pending: number;
      failed: number;
      dead: number;
      delivered: number;
      oldest: number | null;
      last_error: string | null;
    }>(
      `SELECT COUNT(*) FILTER (WHERE status = 'pending') AS pending,
              COUNT(*) FILTER (WHERE status = 'failed') AS failed,
              COUNT(*) FILTER (WHERE status = 'dead') AS dead,
              COUNT(*) FILTER (WHERE status = 'delivered') AS delivered,
              MIN(created_at) FILTER (WHERE status IN ('pending', 'failed')) AS oldest,
              (SELECT last_error FROM wa_tether_webhook_deliveries
                WHERE client_id = $1 AND last_error IS NOT NULL AND status <> 'delivered' ORDER BY next_attempt_at DESC LIMIT 1) AS last_error
         FROM wa_tether_webhook_deliveries WHERE client_id = $1`,
      [this.clientId],
    );
    const row = rows[0];
    const oldest = row?.oldest ?? null;
    return {
      pending: row?.pending ?? 0,
      failed: row?.failed ?? 0,
      dead: row?.dead ?? 0,
      delivered: row?.delivered ?? 0,
      oldestPendingAgeMs: oldest === null ? null : Math.max(0, now - oldest),
      lastError: row?.last_error ?? null,
    };
  }

  async prune(before: number): Promise<number> {
    return this.db.transaction(async (client) => {
      const removed = await client.query(
        `DELETE FROM wa_tether_webhook_deliveries WHERE client_id = $1 AND status IN ('delivered', 'dead') AND finished_at < $2`,
        [this.clientId, before],
      );
      await client.query(
        `DELETE FROM wa_tether_webhook_events e WHERE e.client_id = $1
           AND NOT EXISTS (SELECT 1 FROM wa_tether_webhook_deliveries d WHERE d.client_id = e.client_id AND d.event_id = e.id)`,
        [this.clientId],
      );
      return removed.rowCount ?? 0;
    });
  }

  /** An event no URL wants is not stored at all. */
  private wants(event: WebhookEventDraft): boolean {
    return this.routing.urls.length > 0 && this.routing.events.has(event.type);
  }
}
