import { sha256 } from '../profile-archive';
import type { Logger } from '../../logging/logger';
import type { LeaseFence } from './pg-lease-table';
import type { PgDatabase, Queryable } from './pg-database';

/** Which saved version is the good one, and the highest ever saved (it survives a clear). */
export interface VaultHead {
  readonly current: number | null;
  readonly last: number;
}

export interface SavedArchive {
  readonly version: number;
  readonly data: Buffer;
  readonly savedAt: Date;
}

export type SaveResult =
  | { readonly kind: 'saved'; readonly version: number; readonly size: number }
  /** The archive is byte for byte the current version: nothing written. */
  | { readonly kind: 'unchanged'; readonly version: number };

/** A write refused because this host no longer holds the lease: another one runs the account. */
export class LeaseLostError extends Error {
  constructor() {
    super('this instance no longer holds the lease on the session');
    this.name = 'LeaseLostError';
  }
}

/** Versions kept: the current one and the one before, in case the current cannot be read. */
const KEPT_VERSIONS = 2;

/**
 * The saved session in PostgreSQL, one row per version. A save inserts the whole archive and
 * moves `current_version` to it in one transaction, so a save cut off midway (a crash, a lost
 * connection) leaves the previous version current. Writes are fenced by the lease generation:
 * a host that lost the lease can never overwrite the new holder's session.
 */
export class PgSessionVault {
  constructor(
    private readonly db: PgDatabase,
    private readonly clientId: string,
    private readonly logger: Logger,
  ) {}

  async head(): Promise<VaultHead> {
    const { rows } = await this.db.query<{ current_version: number | null; last_version: number }>(
      'SELECT current_version, last_version FROM wa_tether_sessions WHERE client_id = $1',
      [this.clientId],
    );
    const row = rows[0];
    return { current: row?.current_version ?? null, last: row?.last_version ?? 0 };
  }

  /**
   * The current version, its checksum verified; the version before it if the current one is
   * damaged; null when nothing is saved.
   */
  async load(): Promise<SavedArchive | null> {
    // The checksums are compared in the database, so only the one version used is fetched.
    const { rows } = await this.db.query<{ version: number; intact: boolean }>(
      `SELECT a.version, encode(sha256(a.data), 'hex') = a.sha256 AS intact FROM wa_tether_session_archives a
         JOIN wa_tether_sessions s ON s.client_id = a.client_id
        WHERE a.client_id = $1 AND s.current_version IS NOT NULL AND a.version <= s.current_version
        ORDER BY a.version DESC LIMIT $2`,
      [this.clientId, KEPT_VERSIONS],
    );
    for (const row of rows) {
      if (!row.intact) {
        this.logger.error(`The saved session version ${row.version} is damaged (checksum mismatch); trying the one before`);
        continue;
      }
      const { rows: found } = await this.db.query<{ data: Buffer; sha256: string; created_at: Date }>(
        'SELECT data, sha256, created_at FROM wa_tether_session_archives WHERE client_id = $1 AND version = $2',
        [this.clientId, row.version],
      );
      const archive = found[0];
      // Checked again here: what arrived is what is unpacked.
      if (archive && sha256(archive.data) === archive.sha256) return { version: row.version, data: archive.data, savedAt: archive.created_at };
    }
    return null;
  }

  async save(archive: { readonly data: Buffer; readonly sha256: string }, fence: LeaseFence): Promise<SaveResult> {
    return this.db.transaction(async (client) => {
      await client.query('INSERT INTO wa_tether_sessions (client_id) VALUES ($1) ON CONFLICT (client_id) DO NOTHING', [this.clientId]);
      // One save at a time per account; the lease row is not touched yet, so renewals go on
      // while the archive uploads.
      const { rows } = await client.query<{ current_version: number | null; last_version: number; sha256: string | null }>(
        `SELECT s.current_version, s.last_version, a.sha256 FROM wa_tether_sessions s
           LEFT JOIN wa_tether_session_archives a ON a.client_id = s.client_id AND a.version = s.current_version
          WHERE s.client_id = $1 FOR UPDATE OF s`,
        [this.clientId],
      );
      const head = rows[0];
      if (head?.current_version != null && head.sha256 === archive.sha256) {
        // Nothing to write, but only the holder may be told its copy is the current one.
        await assertHolder(client, this.clientId, fence);
        return { kind: 'unchanged', version: head.current_version };
      }
      const version = (head?.last_version ?? 0) + 1;
      await client.query(
        'INSERT INTO wa_tether_session_archives (client_id, version, lease_generation, sha256, size, data) VALUES ($1, $2, $3, $4, $5, $6)',
        [this.clientId, version, fence.generation, archive.sha256, archive.data.length, archive.data],
      );
      // The fence, just before the version becomes current: held from here to the commit.
      await assertHolder(client, this.clientId, fence);
      await client.query('UPDATE wa_tether_sessions SET current_version = $2, last_version = $2, updated_at = now() WHERE client_id = $1', [
        this.clientId,
        version,
      ]);
      await client.query(
        `DELETE FROM wa_tether_session_archives WHERE client_id = $1 AND version NOT IN
           (SELECT version FROM wa_tether_session_archives WHERE client_id = $1 ORDER BY version DESC LIMIT $2)`,
        [this.clientId, KEPT_VERSIONS],
      );
      return { kind: 'saved', version, size: archive.data.length };
    });
  }

  /** Deletes every saved version (a logout or a clear); `last_version` stays, so other hosts know. */
  async clear(fence: LeaseFence): Promise<void> {
    await this.db.transaction(async (client) => {
      await assertHolder(client, this.clientId, fence);
      await client.query('DELETE FROM wa_tether_session_archives WHERE client_id = $1', [this.clientId]);
      await client.query('UPDATE wa_tether_sessions SET current_version = NULL, updated_at = now() WHERE client_id = $1', [this.clientId]);
    });
  }
}

/**
 * Locks the lease row for the rest of the transaction, so it cannot change hands before the
 * commit. clock_timestamp(): now() would be the transaction's start, before a long upload.
 */
async function assertHolder(client: Queryable, clientId: string, fence: LeaseFence): Promise<void> {
  const { rowCount } = await client.query(
    'SELECT 1 FROM wa_tether_leases WHERE client_id = $1 AND holder = $2 AND generation = $3 AND expires_at > clock_timestamp() FOR SHARE',
    [clientId, fence.holder, fence.generation],
  );
  if (rowCount === 0) throw new LeaseLostError();
}
