import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError, describeError } from '../../common/errors';
import { MIGRATIONS } from './migrations';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the embedded database and brings its schema up to date.
 *
 * - WAL: readers never block the one writer, and a commit is one append.
 * - synchronous=FULL: a commit is on the disk (fsync) before it returns, so a message the daemon
 *   answered 202 for survives a power cut too, not only `kill -9`. NORMAL would lose the last
 *   commits on a power cut in WAL mode; at a few writes per second the fsync costs nothing.
 * - The file is 0600 from the moment it exists (it holds message texts and phone numbers);
 *   SQLite creates its -wal and -shm files with the database file's permissions.
 */
export function openDatabase(file: string): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    db = new Database(file);
  } catch (error) {
    throw new AppError('STORAGE_FAILED', `Cannot open the database ${file}: ${describeError(error)}. To resolve, check that AUTH_PATH is writable.`, {
      cause: error,
    });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Applies every migration the file has not had yet, each in its own transaction. */
export function migrate(db: SqliteDatabase): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  if (current > MIGRATIONS.length) {
    throw new AppError(
      'STORAGE_FAILED',
      `The database is at schema version ${current}, newer than this wa-tether knows (${MIGRATIONS.length}). To resolve, run the newer wa-tether, or move the database file away.`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
