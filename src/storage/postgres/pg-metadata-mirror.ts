import { parseMetadata, type SessionMetadata } from '../session-metadata';
import type { PgDatabase } from './pg-database';

/**
 * The session metadata in PostgreSQL: who is paired, since when, the last logout. The local
 * file stays the copy the daemon reads (fast, there while the database is away); this one is
 * what another host starts from.
 */
export class PgMetadataMirror {
  constructor(
    private readonly db: PgDatabase,
    private readonly clientId: string,
  ) {}

  async get(): Promise<SessionMetadata | null> {
    const { rows } = await this.db.query<{ data: unknown }>('SELECT data FROM wa_tether_session_metadata WHERE client_id = $1', [this.clientId]);
    const row = rows[0];
    // Through the same parser as the file: a row another version wrote is checked field by field.
    return row ? parseMetadata(JSON.stringify(row.data)) : null;
  }

  async put(metadata: SessionMetadata): Promise<void> {
    await this.db.query(
      `INSERT INTO wa_tether_session_metadata (client_id, data, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (client_id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`,
      [this.clientId, JSON.stringify(metadata)],
    );
  }
}
