/**
 * The benchmark's temp tree: the simulated WhatsApp Web page in a web cache, one paired
 * template per contender, and a fresh copy of a template for every run, so every restored
 * start begins from the same bytes.
 */
import { cp, mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sessionPaths } from '../../src/config/session-paths';
import { writeSimPage } from '../../test/sim';
import { CLIENT_ID } from '../../test/support/daemon';
import { endLeftovers } from '../../test/support/leftovers';
import type { Cleanup } from './cleanup';

/** The daemon harness's CLIENT_ID: the bare client uses it too, so both profiles are named alike. */
export { CLIENT_ID } from '../../test/support/daemon';

/** Chromium's per-run files: a copy must not look like a running browser. */
const NOT_COPIED = /^(Singleton(Lock|Socket|Cookie)|DevToolsActivePort|\.wa-tether-.*\.lock.*)$/;

export class BenchDirs {
  private runs = 0;
  private readonly profiles = new Set<string>();

  private constructor(
    readonly root: string,
    readonly cachePath: string,
  ) {}

  static async create(cleanup: Cleanup): Promise<BenchDirs> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-bench-'));
    const dirs = new BenchDirs(root, path.join(root, 'cache'));
    cleanup.add(`remove ${root}`, () => dirs.dispose());
    // No QR rotation: a run that waits on a QR waits on one QR.
    await writeSimPage(dirs.cachePath, { qrRotateMs: 0 });
    return dirs;
  }

  /** A new, empty AUTH_PATH. */
  async newAuthPath(label: string): Promise<string> {
    this.runs += 1;
    const authPath = path.join(this.root, 'runs', `${String(this.runs).padStart(3, '0')}-${label}`, 'auth');
    await mkdir(authPath, { recursive: true });
    this.profiles.add(profileDirOf(authPath));
    return authPath;
  }

  /** A new AUTH_PATH holding a copy of `template`'s paired profile. */
  async copyOf(template: string, label: string): Promise<string> {
    const authPath = await this.newAuthPath(label);
    await cp(template, authPath, { recursive: true, filter: (src) => !NOT_COPIED.test(path.basename(src)) });
    return authPath;
  }

  /** Ends any Chromium still holding one of our profiles, then deletes the tree. */
  async dispose(): Promise<void> {
    for (const profile of this.profiles) await endLeftovers(profile);
    await rm(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

export function profileDirOf(authPath: string): string {
  return sessionPaths(authPath, CLIENT_ID).profileDir;
}

/**
 * Plants `files` sparse files totalling about `totalBytes` under `<profile>/bench-planted`,
 * in subdirectories of 100, like a grown profile's cache. Sparse: `size` counts them, the
 * disk does not.
 */
export async function plantProfile(profileDir: string, files: number, totalBytes: number): Promise<void> {
  const each = Math.floor(totalBytes / files);
  const base = path.join(profileDir, 'bench-planted');
  for (let i = 0; i < files; i++) {
    const dir = path.join(base, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) await mkdir(dir, { recursive: true });
    const handle = await open(path.join(dir, `f${String(i).padStart(5, '0')}`), 'w');
    await handle.truncate(each);
    await handle.close();
  }
}
