import path from 'node:path';

/** Where one CLIENT_ID's files live under AUTH_PATH: the one place that knows the layout. */
export interface SessionPaths {
  /** The Chromium profile LocalAuth writes (`session-<clientId>`), holding the WhatsApp keys. */
  readonly profileDir: string;
  /** Beside the profile, not in it: wiping the profile must not forget when it was logged out. */
  readonly metadataFile: string;
  /** The daemon's exclusive lock on this session. */
  readonly lockFile: string;
  /** The embedded database (outbox, webhook deliveries). */
  readonly databaseFile: string;
  /** With DATABASE_URL: which saved version the local profile is (`cluster/saved-version-file.ts`). */
  readonly savedVersionFile: string;
  /** Media bytes without DATABASE_URL, one file per sha256 (`storage/sqlite/sqlite-media-store.ts`). */
  readonly mediaDir: string;
  /** The binaries the browser was seen running as (`chromium/browser-binaries.ts`). */
  readonly browserFile: string;
}

export function sessionPaths(authPath: string, clientId: string): SessionPaths {
  const root = path.resolve(authPath);
  return {
    profileDir: path.join(root, `session-${clientId}`),
    metadataFile: path.join(root, `wa-tether-${clientId}.json`),
    lockFile: path.join(root, `.wa-tether-${clientId}.lock`),
    databaseFile: path.join(root, `wa-tether-${clientId}.db`),
    savedVersionFile: path.join(root, `wa-tether-${clientId}.saved.json`),
    browserFile: path.join(root, `wa-tether-${clientId}.browser.json`),
    mediaDir: path.join(root, `media-${clientId}`),
  };
}
