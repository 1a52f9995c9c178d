import type pg from 'pg';

/** Where a release is announced (the payload is the CLIENT_ID). */
export const LEASE_CHANNEL = 'wa_tether_lease';

/** Proof of holding the lease: every fenced write checks both. */
export interface LeaseFence {
  readonly holder: string;
  readonly generation: number;
}

/** Who holds the lease now, as the database sees it. */
export interface LeaseHolder {
  readonly holder: string;
  readonly generation: number;
  readonly expiresAt: Date;
}

export type AcquireResult = { readonly kind: 'acquired'; readonly fence: LeaseFence } | { readonly kind: 'held'; readonly by: LeaseHolder | null };

/**
 * The lease row, one per CLIENT_ID. Expiry is the database's clock (`now()`), so hosts whose
 * clocks disagree still agree on who holds it. The generation grows with every new holder.
 * It runs on its own small pool: a renewal never queues behind the outbox's queries.
 */
export class PgLeaseTable {
  constructor(
    private readonly pool: pg.Pool,
    private readonly clientId: string,
  ) {}

  /** Takes the lease when it is free or expired; otherwise says who holds it. */
  async tryAcquire(holder: string, ttlMs: number): Promise<AcquireResult> {
    const { rows } = await this.pool.query<{ generation: number }>(
      `INSERT INTO wa_tether_leases (client_id, holder, generation, acquired_at, renewed_at, expires_at)
       VALUES ($1, $2, 1, now(), now(), now() + make_interval(secs => $3::double precision / 1000))
       ON CONFLICT (client_id) DO UPDATE SET holder = EXCLUDED.holder, generation = wa_tether_leases.generation + 1,
         acquired_at = now(), renewed_at = now(), expires_at = EXCLUDED.expires_at
       WHERE wa_tether_leases.expires_at <= now()
       RETURNING generation`,
      [this.clientId, holder, ttlMs],
    );
    const row = rows[0];
    if (row) return { kind: 'acquired', fence: { holder, generation: row.generation } };
    return { kind: 'held', by: await this.current() };
  }

  /** Extends the lease; false when it is no longer ours (expired and taken, or released). */
  async renew(fence: LeaseFence, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE wa_tether_leases SET renewed_at = now(), expires_at = now() + make_interval(secs => $4::double precision / 1000)
        WHERE client_id = $1 AND holder = $2 AND generation = $3 AND expires_at > now()`,
      [this.clientId, fence.holder, fence.generation, ttlMs],
    );
    return rowCount === 1;
  }

  /** Hands the lease back at once (a standby takes it at its next poll); the generation stays. */
  async release(fence: LeaseFence): Promise<void> {
    // Standbys listening on LEASE_CHANNEL try at once instead of at their next poll.
    await this.pool.query(
      `WITH released AS (UPDATE wa_tether_leases SET expires_at = now() WHERE client_id = $1 AND holder = $2 AND generation = $3 RETURNING client_id)
       SELECT pg_notify('${LEASE_CHANNEL}', client_id) FROM released`,
      [this.clientId, fence.holder, fence.generation],
    );
  }

  async current(): Promise<LeaseHolder | null> {
    const { rows } = await this.pool.query<{ holder: string; generation: number; expires_at: Date }>(
      'SELECT holder, generation, expires_at FROM wa_tether_leases WHERE client_id = $1 AND expires_at > now()',
      [this.clientId],
    );
    const row = rows[0];
    return row ? { holder: row.holder, generation: row.generation, expiresAt: row.expires_at } : null;
  }
}
