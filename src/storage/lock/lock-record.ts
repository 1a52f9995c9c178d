import { mkdir, open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { AppError, describeError } from '../../common/errors';

/** What the lock file says; `procStartTime` tells a live holder from a reused pid. */
export interface LockRecord {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  readonly procStartTime: number | null;
}

export interface Holder {
  /** Null when the content is not a lock record (corrupt, or caught mid-write). */
  readonly record: LockRecord | null;
  readonly content: string;
  readonly mtimeMs: number;
  readonly ino: number;
}

export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw unwritableError(dir, error);
  }
}

/** The new file's inode, or null when a lock file already exists. */
export async function tryCreate(file: string, record: LockRecord, dir: string): Promise<number | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'wx', 0o644);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return null;
    throw unwritableError(dir, error);
  }
  try {
    await handle.writeFile(`${JSON.stringify(record)}\n`);
    return (await handle.stat()).ino;
  } catch (error) {
    // A half-written lock (ENOSPC, EDQUOT) would read as corrupt and block the next start.
    await unlink(file).catch(() => undefined);
    throw unwritableError(dir, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Null when the file is gone. */
export async function readHolder(file: string, dir: string): Promise<Holder | null> {
  try {
    const [info, content] = await Promise.all([stat(file), readFile(file, 'utf8')]);
    return { record: parseRecord(content), content, mtimeMs: info.mtimeMs, ino: info.ino };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw unwritableError(dir, error);
  }
}

export function parseRecord(content: string): LockRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { pid, hostname, startedAt, procStartTime } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return null;
  if (typeof hostname !== 'string' || typeof startedAt !== 'string') return null;
  const start = typeof procStartTime === 'number' && Number.isSafeInteger(procStartTime) ? procStartTime : null;
  return { pid, hostname, startedAt, procStartTime: start };
}

/** What to do, per errno; each finishes "To resolve, point AUTH_PATH at ..., or ...". */
const UNWRITABLE_HINTS: Readonly<Record<string, string>> = {
  EACCES: 'fix its ownership or permissions',
  EPERM: 'fix its ownership or permissions',
  EROFS: 'mount a writable disk there (this filesystem is read-only)',
  ENOTDIR: 'remove the file that stands where one of its directories should be',
  EEXIST: 'move away the file of that name (it is not a directory)',
  ENOSPC: 'free some disk space',
  EDQUOT: 'free some space within the disk quota',
};

export function unwritableError(dir: string, error: unknown): AppError {
  const code = errorCode(error);
  const hint = (code !== undefined && UNWRITABLE_HINTS[code]) || 'fix its ownership or permissions';
  return new AppError(
    'AUTH_PATH_UNWRITABLE',
    `AUTH_PATH ${dir} is not writable (${code ?? describeError(error)}). To resolve, point AUTH_PATH at a directory this user can write (on Render, the disk's mount path), or ${hint}.`,
    { cause: error },
  );
}

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
