import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Clock } from '../common/clock';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { SessionInfo, SessionInspector } from './session-info';

export interface ProfileInspectorOptions {
  readonly profileDir: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** lstat calls in flight at once; bounds the libuv queue so the walk never starves other I/O. */
  readonly concurrency?: number;
}

const DEFAULT_CONCURRENCY = 32;

interface Totals {
  size: number;
  newestMs: number;
}

/**
 * Measures the Chromium profile off the request path: `refresh()` walks it, `current()`
 * answers from the last walk. A profile holds thousands of files that Chromium rewrites
 * constantly, so entries vanishing mid-walk are expected, and symlinks (Chromium's
 * `Singleton*` point into /tmp) are counted as themselves, never followed.
 */
export class ProfileInspector implements SessionInspector {
  private readonly profileDir: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly concurrency: number;
  private latest: SessionInfo;
  private inFlight: Promise<SessionInfo> | null = null;

  constructor(options: ProfileInspectorOptions) {
    this.profileDir = path.resolve(options.profileDir);
    this.logger = options.logger;
    this.clock = options.clock;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    // Not looked yet: unknown (null), never "absent", until the first walk has finished.
    this.latest = this.picture(null, null);
  }

  current(): SessionInfo {
    return this.latest;
  }

  refresh(): Promise<SessionInfo> {
    this.inFlight ??= this.walk().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Refreshes now and every `intervalMs`; returns the stop function. Never keeps the process alive. */
  startAutoRefresh(intervalMs: number): () => void {
    const tick = (): void => {
      this.refresh().catch((error: unknown) => {
        this.logger.warn(`could not measure the session profile: ${describeError(error)}`, { profileDir: this.profileDir });
      });
    };
    tick();
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async walk(): Promise<SessionInfo> {
    const root = await lstatOrNull(this.profileDir);
    if (root === null || !root.isDirectory()) {
      this.latest = this.picture(false, null);
      return this.latest;
    }
    const totals: Totals = { size: 0, newestMs: root.mtimeMs };
    const pending = [this.profileDir];
    for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
      pending.push(...(await this.measureDirectory(dir, totals)));
      // A directory of thousands of entries is one long synchronous loop; let requests in between.
      await yieldToEventLoop();
    }
    this.latest = this.picture(true, totals);
    return this.latest;
  }

  /** Adds the directory's entries to `totals`; returns its subdirectories. */
  private async measureDirectory(dir: string, totals: Totals): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      this.noteSkipped(dir, error);
      return [];
    }
    const subdirs: string[] = [];
    await forEachLimited(entries, this.concurrency, async (entry) => {
      const full = path.join(dir, entry.name);
      let stats: Stats | null;
      try {
        stats = await lstat(full);
      } catch (error) {
        this.noteSkipped(full, error);
        return;
      }
      totals.newestMs = Math.max(totals.newestMs, stats.mtimeMs);
      if (stats.isDirectory()) subdirs.push(full);
      else if (stats.isFile()) totals.size += stats.size;
    });
    return subdirs;
  }

  private noteSkipped(entry: string, error: unknown): void {
    // ENOENT: Chromium deleted it between readdir and lstat; that is the normal case.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    this.logger.debug(`skipped while measuring the profile: ${describeError(error)}`, { entry });
  }

  private picture(exists: boolean | null, totals: Totals | null): SessionInfo {
    return Object.freeze({
      exists,
      lastModified: totals === null ? null : new Date(totals.newestMs),
      size: totals?.size ?? 0,
      path: this.profileDir,
      checkedAt: new Date(this.clock.now()),
    });
  }
}

async function lstatOrNull(file: string): Promise<Stats | null> {
  try {
    return await lstat(file);
  } catch {
    return null;
  }
}

/** Runs `task` over `items` with at most `limit` running at once. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
