import { readFile, readlink } from 'node:fs/promises';
import { writeFileAtomic } from '../common/write-file-atomic';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';

/** More than one browser build is rare; an upgrade or two in a row is kept, then the oldest goes. */
const MAX_KNOWN = 8;

/**
 * The binaries our browser runs as, as `/proc/<pid>/exe` shows them: the only processes the
 * daemon ever ends or measures run one of these. Read off a wrapper script where it can be
 * (find-browser's `browserBinaries`), and learned from each browser the daemon launches, since
 * a wrapper may reach the binary in ways no reading of it can tell (a name found on PATH, a
 * variable from the environment, a wrapper around a wrapper). What was learned is kept in a
 * file beside the session: after a kill -9 the next start must recognise the orphan its
 * predecessor launched, before it launches anything itself.
 */
export class BrowserBinaries {
  private known: string[];

  private constructor(
    private readonly file: string,
    private readonly logger: Logger,
    known: readonly string[],
  ) {
    this.known = [...new Set(known)];
  }

  /** The binaries read off the configured path, plus those a previous run learned. */
  static async load(file: string, fromPath: readonly string[], logger: Logger): Promise<BrowserBinaries> {
    return new BrowserBinaries(file, logger, [...fromPath, ...(await readLearned(file))]);
  }

  list(): readonly string[] {
    return this.known;
  }

  /**
   * Records what the browser with this pid runs. Called once the browser answers DevTools,
   * so every wrapper has exec'd by then (before, /proc shows the shell). Never throws.
   */
  async learn(pid: number): Promise<void> {
    const exe = await readlink(`/proc/${pid}/exe`).catch(() => null);
    if (exe === null) return;
    const binary = exe.replace(/ \(deleted\)$/, '');
    if (this.known.includes(binary)) return;
    this.known = [...this.known, binary];
    this.logger.debug(`learned the browser's binary: ${binary}`);
    try {
      await writeFileAtomic(this.file, `${JSON.stringify({ binaries: this.known.slice(-MAX_KNOWN) })}\n`);
    } catch (error) {
      this.logger.warn(`Could not record the browser's binary in ${this.file}: ${describeError(error)}`);
    }
  }
}

async function readLearned(file: string): Promise<string[]> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { binaries?: unknown };
    if (!Array.isArray(parsed.binaries)) return [];
    return parsed.binaries.filter((b): b is string => typeof b === 'string' && b.startsWith('/'));
  } catch {
    return [];
  }
}
