import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { create, extract } from 'tar';

/**
 * The part of the Chromium profile WhatsApp needs to come back linked: its IndexedDB (the keys
 * and the device identity) and Local Storage, as whatsapp-web.js's RemoteAuth keeps them. The
 * rest (caches, GPU data, crash reports) is rebuilt by Chromium and would only make saves big.
 */
export const SAVED_PARTS = ['Default/IndexedDB', 'Default/Local Storage'] as const;

/** A save bigger than this is refused: a single BYTEA row of hundreds of MB hurts every host. */
export const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;

export interface ProfileArchive {
  /** A gzipped tar of SAVED_PARTS, paths relative to the profile. */
  readonly data: Buffer;
  readonly sha256: string;
  readonly files: number;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Packs the saved parts of `profileDir`; null when it holds none of them (nothing paired).
 *
 * Chromium may be writing (LevelDB compacts, adds and deletes files) while this runs, so the
 * parts are copied to a staging folder first and the copy is kept only if no file appeared or
 * went away meanwhile; otherwise it is taken again. Every path is absolute: nothing depends on
 * the working directory (RemoteAuth's zip path trap).
 */
export async function packProfile(profileDir: string, attempts = 3): Promise<ProfileArchive | null> {
  const root = path.resolve(profileDir);
  const staging = `${root}.saving-${randomBytes(4).toString('hex')}`;
  try {
    for (let attempt = 1; ; attempt++) {
      const before = await listParts(root);
      if (before.size === 0) return null;
      await rm(staging, { recursive: true, force: true });
      let copied = true;
      for (const part of SAVED_PARTS) {
        const from = path.join(root, part);
        if (!(await exists(from))) continue;
        try {
          await cp(from, path.join(staging, part), { recursive: true, errorOnExist: false, force: true });
        } catch (error) {
          // A file LevelDB deleted between the listing and the copy.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= attempts) throw error;
          copied = false;
        }
      }
      if (copied && sameFiles(before, await listParts(root))) break;
      if (attempt >= attempts) throw new Error(`the profile kept changing while it was copied (${attempts} attempts); the next save tries again`);
    }
    const present: string[] = [];
    for (const part of SAVED_PARTS) if (await exists(path.join(staging, part))) present.push(part);
    const chunks: Buffer[] = [];
    let size = 0;
    // No times in the archive (the staging copies carry the copy's time): the same files give
    // the same bytes, so an unchanged session is seen as such and writes no new version.
    for await (const chunk of create({ gzip: { level: 6 }, cwd: staging, portable: true, noMtime: true }, present) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ARCHIVE_BYTES) throw new Error(`the saved session is over ${MAX_ARCHIVE_BYTES / 1024 / 1024} MiB compressed; it is not saved`);
      chunks.push(chunk);
    }
    const data = Buffer.concat(chunks);
    const files = (await listParts(staging)).size;
    return { data, sha256: sha256(data), files };
  } finally {
    await rm(staging, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * Replaces `profileDir` with the archive's contents. Unpacked beside it first and swapped in
 * with renames, so a failure midway leaves the old profile, never half of a new one.
 */
export async function unpackProfile(data: Buffer, profileDir: string): Promise<void> {
  const root = path.resolve(profileDir);
  const staging = `${root}.restoring-${randomBytes(4).toString('hex')}`;
  const old = `${root}.replaced-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(staging, { recursive: true, mode: 0o700 });
    // Only the saved parts, never a path outside the folder (tar refuses `..` and absolute paths).
    const unpack = extract({
      cwd: staging,
      strict: true,
      filter: (entry) => SAVED_PARTS.some((part) => entry === part || entry.startsWith(`${part}/`)),
    });
    await new Promise<void>((resolve, reject) => {
      // `on`, not `once`: a damaged archive can emit several errors, and an unheard one would end the process.
      unpack.on('error', reject);
      unpack.once('close', () => resolve());
      unpack.end(data);
    });
    if (!(await exists(path.join(staging, 'Default')))) throw new Error('the saved session holds no profile data');
    const hadProfile = await exists(root);
    if (hadProfile) await rename(root, old);
    try {
      await rename(staging, root);
    } catch (error) {
      if (hadProfile) await rename(old, root).catch(() => undefined);
      throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true, maxRetries: 3 });
    await rm(old, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * The staging folders a save or a restore cut off by a crash left beside the profile: copies of
 * the keys, deleted before anything else.
 */
export async function removeLeftovers(profileDir: string): Promise<void> {
  const root = path.resolve(profileDir);
  const prefix = `${path.basename(root)}.`;
  let names: string[];
  try {
    names = await readdir(path.dirname(root));
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && /\.(saving|restoring|replaced)-[0-9a-f]{8}$/.test(name)) {
      await rm(path.join(path.dirname(root), name), { recursive: true, force: true, maxRetries: 3 });
    }
  }
}

/**
 * Every regular file under the saved parts, by path relative to `root`. Names only: LevelDB
 * appends to its log all the time (a copy cut mid-append reads like a crash, which it
 * recovers from), while a file that appears or goes away means a compaction ran mid-copy.
 */
async function listParts(root: string): Promise<Set<string>> {
  const files = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.add(path.relative(root, full));
    }
  };
  for (const part of SAVED_PARTS) await walk(path.join(root, part));
  return files;
}

function sameFiles(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const name of a) if (!b.has(name)) return false;
  return true;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Whether the profile holds any of the parts a save keeps (a paired session would). */
export async function hasSavedParts(profileDir: string): Promise<boolean> {
  for (const part of SAVED_PARTS) {
    try {
      await stat(path.join(profileDir, part));
      return true;
    } catch {
      // Not there.
    }
  }
  return false;
}
