import type { DatabaseConfig } from './config';
import type { EnvReader } from './env-reader';

const HOUR_MS = 3_600_000;

/** DATABASE_URL and what goes with it; null without DATABASE_URL (SQLite and the local disk). */
export function readDatabaseConfig(read: EnvReader): DatabaseConfig | null {
  const url = read.raw('DATABASE_URL') ?? null;
  // Read only with DATABASE_URL: without it nothing about the daemon changes, a leftover value included.
  if (url === null) return null;
  const backupIntervalMs = read.integer(
    'SESSION_BACKUP_INTERVAL_MS',
    300_000,
    60_000,
    24 * HOUR_MS,
    'How often a ready session is saved to the database; default 300000 (5 minutes), at least 60000.',
  );
  const leaseTtlMs = read.integer(
    'LEASE_TTL_MS',
    30_000,
    3_000,
    10 * 60_000,
    'How long a host that stopped renewing keeps the session before a standby may take it; default 30000.',
  );
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (parsed === null || !['postgres:', 'postgresql:'].includes(parsed.protocol) || parsed.hostname === '') {
    // The value is not repeated: it may hold a password.
    read.fail(
      "DATABASE_URL must be a PostgreSQL URL, e.g. postgres://user:password@host:5432/dbname (Render: the database's internal URL). To resolve, fix it, or unset it to keep everything on the local disk.",
    );
    return null;
  }
  return { url, backupIntervalMs, leaseTtlMs };
}
