import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../common/write-file-atomic';
import { EXPIRED_KEPT_MS, type ReceivedRow, toReceivedMedia } from '../media-row';
import type { MediaCounts, MediaPruneResult, MediaStore, ReceivedMedia } from '../media-store';
import type { SqliteDatabase } from './open-database';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Media bytes as files under `dir` (AUTH_PATH/media-<CLIENT_ID>), named by their sha256 and
 * written atomically with mode 0600; which files exist and what refers to them is in the
 * database. A file written just before a crash, before its row, is an orphan the prune removes.
 */
export class SqliteMediaStore implements MediaStore {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly dir: string,
  ) {}

  private file(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`Not a sha256: ${sha256.slice(0, 80)}`);
    return path.join(this.dir, sha256);
  }

  async putFile(sha256: string, bytes: Buffer, now: number): Promise<void> {
    const known = this.db.prepare<[string], { size: number }>('SELECT size FROM media_files WHERE sha256 = ?').get(sha256);
    if (known !== undefined && (await fileSize(this.file(sha256))) === bytes.length) return;
    await writeFileAtomic(this.file(sha256), bytes, { mode: 0o600 });
    this.db.prepare('INSERT OR IGNORE INTO media_files (sha256, size, created_at) VALUES (?, ?, ?)').run(sha256, bytes.length, now);
  }

  async getFile(sha256: string): Promise<Buffer | null> {
    if (this.db.prepare('SELECT 1 FROM media_files WHERE sha256 = ?').get(sha256) === undefined) return null;
    try {
      return await readFile(this.file(sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async recordReceived(media: Omit<ReceivedMedia, 'expired'>): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO media_received (id, message_id, sha256, mimetype, filename, size, kind, created_at) VALUES (@id, @messageId, @sha256, @mimetype, @filename, @size, @kind, @createdAt)`,
      )
      .run(media);
  }

  async getReceived(id: string): Promise<ReceivedMedia | null> {
    const row = this.db.prepare<[string], ReceivedRow>('SELECT * FROM media_received WHERE id = ?').get(id);
    return row ? toReceivedMedia(row) : null;
  }

  async prune(now: number, retentionMs: number): Promise<MediaPruneResult> {
    const cutoff = now - retentionMs;
    const { expired, doomed } = this.db.transaction(() => {
      const expiredNow = this.db
        .prepare('UPDATE media_received SET expired_at = ? WHERE expired_at IS NULL AND created_at < ?')
        .run(now, cutoff).changes;
      this.db.prepare('DELETE FROM media_received WHERE expired_at IS NOT NULL AND created_at < ?').run(cutoff - EXPIRED_KEPT_MS);
      const unneeded = this.db
        .prepare<[number, number], { sha256: string }>(
          `SELECT f.sha256 FROM media_files f WHERE f.created_at < ?
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.media_sha256 = f.sha256 AND (o.status IN ('queued', 'sending') OR o.finished_at >= ?))
             AND NOT EXISTS (SELECT 1 FROM media_received r WHERE r.sha256 = f.sha256 AND r.expired_at IS NULL)`,
        )
        .all(cutoff, cutoff)
        .map((row) => row.sha256);
      const remove = this.db.prepare('DELETE FROM media_files WHERE sha256 = ?');
      for (const sha256 of unneeded) remove.run(sha256);
      return { expired: expiredNow, doomed: unneeded };
    })();
    // Rows first, files after: a crash between the two leaves orphans, never a row without its file.
    for (const sha256 of doomed) await unlink(this.file(sha256)).catch(() => undefined);
    return { files: doomed.length + (await this.removeOrphans(cutoff)), expired };
  }

  /** Files no row names, older than the retention (a write cut off before its row). */
  private async removeOrphans(cutoff: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    const known = this.db.prepare<[string], { sha256: string }>('SELECT sha256 FROM media_files WHERE sha256 = ?');
    let removed = 0;
    for (const name of names) {
      const full = path.join(this.dir, name);
      const info = await stat(full).catch(() => null);
      if (info === null || !info.isFile() || info.mtimeMs >= cutoff) continue;
      if (SHA256.test(name) && known.get(name) !== undefined) continue;
      await unlink(full).catch(() => undefined);
      removed++;
    }
    return removed;
  }

  async counts(): Promise<MediaCounts> {
    const received = this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM media_received WHERE expired_at IS NULL').get()?.n ?? 0;
    const pendingSends =
      this.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM outbox WHERE media_sha256 IS NOT NULL AND status IN ('queued', 'sending')`).get()
        ?.n ?? 0;
    const files = this.db.prepare<[], { n: number; bytes: number | null }>('SELECT COUNT(*) AS n, SUM(size) AS bytes FROM media_files').get();
    return { received, pendingSends, files: files?.n ?? 0, bytes: files?.bytes ?? 0 };
  }
}

async function fileSize(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch {
    return null;
  }
}
