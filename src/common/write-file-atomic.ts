import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** The file's permissions; 0600 by default (what the daemon writes names the account or holds it). */
  readonly mode?: number;
  /** Injected by tests to interrupt a write midway. */
  readonly openFile?: typeof open;
}

/**
 * Writes `data` to `file` so that a crash at any point leaves the old file or the new one,
 * never half of either: a temp file beside it, fsynced, renamed over it, then the directory
 * fsynced so the rename survives a power cut too.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await mkdir(dir, { recursive: true });
  try {
    const handle = await (options.openFile ?? open)(temp, 'wx', options.mode ?? 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDir(dir);
}

/** Makes a rename durable. Best-effort: not every filesystem lets a directory be fsynced. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The rename is still atomic; only its durability across a power cut is weaker.
  }
}
