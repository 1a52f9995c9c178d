import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../common/write-file-atomic';

/**
 * Which saved version the local profile is, kept beside it. With it a host knows without
 * comparing clocks whether the database holds something newer than its disk: another host
 * saved since (restore), nothing changed (keep the local profile, which may be newer still),
 * or the session was cleared since (forget the local copy).
 */
export interface SavedVersion {
  /** The database version the local profile was saved as or restored from; null: none. */
  readonly version: number | null;
  /** A clear whose remote half has not been done yet: versions up to this one are to be deleted. */
  readonly clearPending: number | null;
}

export const NO_SAVED_VERSION: SavedVersion = Object.freeze({ version: null, clearPending: null });

export async function readSavedVersion(file: string): Promise<SavedVersion> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return NO_SAVED_VERSION;
  }
  try {
    const value = JSON.parse(text) as { version?: unknown; clearPending?: unknown };
    const version = typeof value.version === 'number' && Number.isSafeInteger(value.version) ? value.version : null;
    const clearPending = typeof value.clearPending === 'number' && Number.isSafeInteger(value.clearPending) ? value.clearPending : null;
    return { version, clearPending };
  } catch {
    return NO_SAVED_VERSION;
  }
}

/** Atomic: a crash leaves the old record or the new one. */
export async function writeSavedVersion(file: string, value: SavedVersion): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify({ version: value.version, clearPending: value.clearPending })}\n`);
}
