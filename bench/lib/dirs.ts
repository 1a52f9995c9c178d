/**
 * The benchmark's temp tree: the simulated WhatsApp Web page in a web cache, one paired
 * template per contender, and a fresh copy of a template for every run, so every restored
 * start begins from the same bytes.
 */
import { cp, mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { endProcesses, findProfileProcesses } from '../../src/chromium/chromium-processes';
import { SIM_WEB_VERSION, writeSimPage } from '../../test/sim';
import type { Cleanup } from './cleanup';

export const CLIENT_ID = 'bench';

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

/** Ends Chromium processes still holding `profileDir` (a run that did not close its browser); returns how many. */
export async function endLeftovers(profileDir: string): Promise<number> {
  const leftovers = await findProfileProcesses(profileDir).catch(() => []);
  if (leftovers.length > 0) await endProcesses(leftovers, 1_000);
  return leftovers.length;
}

export function profileDirOf(authPath: string): string {
  return path.join(authPath, `session-${CLIENT_ID}`);
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
