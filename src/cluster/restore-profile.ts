import { rm } from 'node:fs/promises';
import type { Logger } from '../logging/logger';
import type { LeaseFence } from '../storage/postgres/pg-lease-table';
import type { PgMetadataMirror } from '../storage/postgres/pg-metadata-mirror';
import type { PgSessionVault } from '../storage/postgres/pg-session-vault';
import { hasSavedParts, removeLeftovers, unpackProfile } from '../storage/profile-archive';
import type { SessionMetadata, SessionMetadataStore } from '../storage/session-metadata';
import { decideRestore, pendingClearApplies } from './restore-decision';
import { readSavedVersion, writeSavedVersion } from './saved-version-file';

export type PrepareOutcome = 'restored' | 'kept-local' | 'forgot-cleared' | 'nothing-saved';

export interface RestoreOptions {
  /** AUTH_PATH/session-CLIENT_ID */
  readonly profileDir: string;
  readonly savedVersionFile: string;
  readonly vault: PgSessionVault;
  readonly mirror: PgMetadataMirror;
  readonly metadata: SessionMetadataStore;
  /** The lease held by the caller. */
  readonly fence: LeaseFence;
  readonly log: Logger;
}

export interface Restored {
  readonly outcome: PrepareOutcome;
  /** The saved version the local profile is now; undefined when that did not change. */
  readonly version?: number | null;
  /** The metadata to adopt when the profile came from (or was cleared by) another host. */
  readonly metadata: SessionMetadata | null;
}

/**
 * The file work of a takeover, before the browser starts: a clear made while the database was
 * away carried out, then the local profile restored from the database, kept, or forgotten, as
 * `decideRestore` says. Leftovers of an interrupted restore are removed first.
 */
export async function restoreProfile(o: RestoreOptions): Promise<Restored> {
  await removeLeftovers(o.profileDir);
  let marker = await readSavedVersion(o.savedVersionFile);
  let head = await o.vault.head();
  if (marker.clearPending !== null) {
    if (pendingClearApplies(head.current, marker.clearPending)) {
      await o.vault.clear(o.fence);
      o.log.info('Deleted the saved session from the database (a clear made while it was unreachable)');
    }
    marker = { version: null, clearPending: null };
    await writeSavedVersion(o.savedVersionFile, marker);
    head = await o.vault.head();
  }
  const local = await hasSavedParts(o.profileDir);
  const decision = decideRestore({ current: head.current, last: head.last, localVersion: marker.version, local });
  if (decision === 'keep') {
    if (local) {
      const which = marker.version === null ? ' (not in the database yet; saved once ready)' : ` (saved version ${marker.version})`;
      o.log.info(`Using the local profile${which}`);
      return { outcome: 'kept-local', version: marker.version, metadata: null };
    }
    return { outcome: 'nothing-saved', version: marker.version, metadata: await adoptRemote(o) };
  }
  if (decision === 'forget') {
    await rm(o.profileDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    await writeSavedVersion(o.savedVersionFile, { version: null, clearPending: null });
    o.log.info('The session was cleared on another instance since this profile was saved; starting unpaired');
    return { outcome: 'forgot-cleared', version: null, metadata: await adoptRemote(o) };
  }
  const saved = await o.vault.load();
  if (saved === null) {
    o.log.error('The saved session in the database cannot be read; starting from the local profile');
    return local ? { outcome: 'kept-local', metadata: null } : { outcome: 'nothing-saved', metadata: await adoptRemote(o) };
  }
  await unpackProfile(saved.data, o.profileDir);
  await writeSavedVersion(o.savedVersionFile, { version: saved.version, clearPending: null });
  o.log.info(`Restored the session from the database (version ${saved.version}, saved ${saved.savedAt.toISOString()}); no QR needed`);
  return { outcome: 'restored', version: saved.version, metadata: await adoptRemote(o) };
}

/** The metadata that came with the session from another host, written locally too. */
async function adoptRemote(o: RestoreOptions): Promise<SessionMetadata | null> {
  const remote = await o.mirror.get();
  if (remote !== null) await o.metadata.update(remote);
  return remote;
}
