import type { MediaCounts, MediaPruneResult, MediaStore, ReceivedMedia } from '../media-store';
import { EXPIRED_KEPT_MS, type ReceivedRow, toReceivedMedia } from '../media-row';
import type { PgDatabase } from './pg-database';

/**
 * Media bytes in the database (BYTEA), one account's rows: a message accepted on one host is
 * sent by whichever host holds the lease, so the bytes cannot stay on the host that took them.
 */
export class PgMediaStore implements MediaStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly clientId: string,
  ) {}

  async putFile(sha256: string, bytes: Buffer, now: number): Promise<void> {
    await this.db.query(
      `INSERT INTO wa_tether_media_files (client_id, sha256, size, data, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (client_id, sha256) DO NOTHING`,
      [this.clientId, sha256, bytes.length, bytes, now],
    );
  }

  async getFile(sha256: string): Promise<Buffer | null> {
    const { rows } = await this.db.query<{ data: Buffer }>('SELECT data FROM wa_tether_media_files WHERE client_id = $1 AND sha256 = $2', [
      this.clientId,
      sha256,
    ]);
    return rows[0]?.data ?? null;
  }

  async recordReceived(media: Omit<ReceivedMedia, 'expired'>): Promise<void> {
    await this.db.query(
      `INSERT INTO wa_tether_media_received (client_id, id, message_id, sha256, mimetype, filename, size, kind, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [this.clientId, media.id, media.messageId, media.sha256, media.mimetype, media.filename, media.size, media.kind, media.createdAt],
    );
  }

  async getReceived(id: string): Promise<ReceivedMedia | null> {
    const { rows } = await this.db.query<ReceivedRow>('SELECT * FROM wa_tether_media_received WHERE client_id = $1 AND id = $2', [this.clientId, id]);
    return rows[0] ? toReceivedMedia(rows[0]) : null;
  }

  async prune(now: number, retentionMs: number): Promise<MediaPruneResult> {
    const cutoff = now - retentionMs;
    return this.db.transaction(async (client) => {
      const expired = await client.query(
        'UPDATE wa_tether_media_received SET expired_at = $2 WHERE client_id = $1 AND expired_at IS NULL AND created_at < $3',
        [this.clientId, now, cutoff],
      );
      await client.query('DELETE FROM wa_tether_media_received WHERE client_id = $1 AND expired_at IS NOT NULL AND created_at < $2', [
        this.clientId,
        cutoff - EXPIRED_KEPT_MS,
      ]);
      const removed = await client.query(
        `DELETE FROM wa_tether_media_files f WHERE f.client_id = $1 AND f.created_at < $2
           AND NOT EXISTS (SELECT 1 FROM wa_tether_outbox o WHERE o.client_id = f.client_id AND o.media_sha256 = f.sha256
                             AND (o.status IN ('queued', 'sending') OR o.finished_at >= $2))
           AND NOT EXISTS (SELECT 1 FROM wa_tether_media_received r WHERE r.client_id = f.client_id AND r.sha256 = f.sha256 AND r.expired_at IS NULL)`,
        [this.clientId, cutoff],
      );
      return { files: removed.rowCount ?? 0, expired: expired.rowCount ?? 0 };
    });
  }

  async counts(): Promise<MediaCounts> {
    const { rows } = await this.db.query<{ received: string; pending: string; files: string; bytes: string | null }>(
      `SELECT
         (SELECT COUNT(*) FROM wa_tether_media_received WHERE client_id = $1 AND expired_at IS NULL) AS received,
         (SELECT COUNT(*) FROM wa_tether_outbox WHERE client_id = $1 AND media_sha256 IS NOT NULL AND status IN ('queued', 'sending')) AS pending,
         (SELECT COUNT(*) FROM wa_tether_media_files WHERE client_id = $1) AS files,
         (SELECT SUM(size) FROM wa_tether_media_files WHERE client_id = $1) AS bytes`,
      [this.clientId],
    );
    const row = rows[0];
    return {
      received: Number(row?.received ?? 0),
      pendingSends: Number(row?.pending ?? 0),
      files: Number(row?.files ?? 0),
      bytes: Number(row?.bytes ?? 0),
    };
  }
}
