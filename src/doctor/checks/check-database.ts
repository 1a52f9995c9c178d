import pg from 'pg';
import type { DatabaseConfig } from '../../config/config';
import { PG_MIGRATIONS } from '../../storage/postgres/pg-migrations';
import { type CheckResult, fail, pass, warn } from '../check';

const NAME = 'database';
const TIMEOUT_MS = 5_000;

/** Only what the error says about the cause: pg's messages never carry the URL or its password. */
function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * With DATABASE_URL: the server answers, how far its wa-tether schema is, who holds the lease,
 * and what session is saved. Reads only; the URL itself is never printed.
 */
export async function checkDatabase(database: DatabaseConfig, clientId: string): Promise<CheckResult> {
  const client = new pg.Client({
    connectionString: database.url,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
    application_name: 'wa-tether doctor',
  });
  // A server that drops the connection mid-check must not end the doctor with an unhandled error.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    return fail(
      NAME,
      `DATABASE_URL does not connect: ${reason(error)}`,
      'check the host, port, user, password and database name in DATABASE_URL, that the server runs, and, for a server outside a private network, add ?sslmode=require.',
    );
  }
  try {
    const exists = await client.query<{ exists: boolean }>(`SELECT to_regclass('wa_tether_migrations') IS NOT NULL AS exists`);
    if (exists.rows[0]?.exists !== true) return pass(NAME, 'connected; no wa-tether tables yet: the daemon creates them at its first start');
    const version = Number((await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM wa_tether_migrations')).rows[0]?.v ?? 0);
    if (version > PG_MIGRATIONS.length) {
      return fail(
        NAME,
        `connected; the wa-tether schema is at version ${version}, newer than this wa-tether knows (${PG_MIGRATIONS.length})`,
        'run the newer wa-tether.',
      );
    }
    const lease = await client.query<{ holder: string; live: boolean; expires_at: Date }>(
      'SELECT holder, expires_at > now() AS live, expires_at FROM wa_tether_leases WHERE client_id = $1',
      [clientId],
    );
    const saved = await client.query<{ version: string; size: number; created_at: Date }>(
      `SELECT a.version, a.size, a.created_at FROM wa_tether_sessions s JOIN wa_tether_session_archives a
         ON a.client_id = s.client_id AND a.version = s.current_version WHERE s.client_id = $1`,
      [clientId],
    );
    const held = lease.rows[0]?.live
      ? `the session is held by ${lease.rows[0].holder} until ${lease.rows[0].expires_at.toISOString()}`
      : 'nobody holds the session';
    const row = saved.rows[0];
    const session = row
      ? `saved session version ${row.version} (${Math.max(1, Math.round(row.size / 1024))} KiB, ${row.created_at.toISOString()})`
      : 'no saved session';
    const detail = `connected; schema version ${version}; ${held}; ${session}`;
    return row ? pass(NAME, detail) : warn(NAME, detail, 'pair once (the QR at /qr): the session is saved to the database within seconds of ready.');
  } catch (error) {
    return fail(
      NAME,
      `connected, but reading the wa-tether tables failed: ${reason(error)}`,
      'check that the DATABASE_URL user may read the wa_tether_* tables.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
