import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../common/errors';

/**
 * How the browser runs. `shell`: chrome-headless-shell, the old headless mode (no browser UI
 * layer, no omnibox, no profile services), what whatsapp-web.js ran on for years and about
 * 100 MiB lighter. `full`: the full Chromium in its new headless mode, for when a WhatsApp Web
 * build needs something only the full browser has.
 */
export type BrowserMode = 'shell' | 'full';

/** Debian's headless shell; `/usr/bin/chromium-headless-shell` is a wrapper script around the first. */
export const HEADLESS_SHELL_PATHS: readonly string[] = ['/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium-headless-shell'];

/** Where Debian, Ubuntu, Alpine and Google's packages put the full browser. */
export const SYSTEM_BROWSER_PATHS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
];

export interface FindBrowserOptions {
  /** CHROME_PATH / PUPPETEER_EXECUTABLE_PATH, when set. */
  readonly explicit: string | null;
  readonly mode: BrowserMode;
  /** Puppeteer's own download for a mode, when it has one; injected so tests need no puppeteer cache. */
  readonly puppeteerBrowser: (mode: BrowserMode) => string | null;
  readonly isExecutable?: (file: string) => boolean;
  /** The first bytes of a file (to recognise a wrapper script); injected for tests. */
  readonly readHead?: (file: string) => string;
}

export interface FoundBrowser {
  readonly path: string;
  readonly source: 'CHROME_PATH' | 'system' | 'puppeteer';
  /** How to launch it: decided by what the binary is, whatever was asked for. */
  readonly mode: BrowserMode;
  /** Set when the browser is not what BROWSER_MODE asked for, saying why and how to fix it. */
  readonly warning: string | null;
}

const INSTALL_SHELL = 'Debian/Ubuntu: sudo apt-get install chromium-headless-shell; elsewhere: npx puppeteer browsers install chrome-headless-shell';

/**
 * The browser to launch. An explicit path is used as given (and must work). Otherwise
 * `shell` mode looks for a headless shell (system, then puppeteer's download) and falls back
 * to the full browser with a warning; `full` mode looks for the full browser only. Throws
 * BROWSER_NOT_FOUND saying how to get one.
 *
 * A wrapper script that starts the browser as its child (Debian's
 * /usr/bin/chromium-headless-shell runs it without `exec`) is resolved to the binary it runs:
 * launched through the wrapper, the process puppeteer holds would be the shell, a signal by pid
 * would reach only the wrapper, and the browser would be orphaned.
 */
export function findBrowser(options: FindBrowserOptions): FoundBrowser {
  const isExecutable = options.isExecutable ?? canExecute;
  const readHead = options.readHead ?? readFileHead;
  const resolve = (file: string): string => unwrap(file, readHead, isExecutable);
  if (options.explicit !== null) {
    if (!isExecutable(options.explicit)) {
      throw new AppError(
        'BROWSER_NOT_FOUND',
        `CHROME_PATH=${options.explicit} is not an executable file. To resolve, point CHROME_PATH at Chromium, Chrome or chrome-headless-shell (e.g. /usr/lib/chromium/chromium-headless-shell), or unset it to detect one.`,
      );
    }
    const resolved = resolve(options.explicit);
    // A wrapper's name says nothing: what it finally runs decides the mode.
    const [binary] = browserBinaries(resolved, readHead, isExecutable);
    return { path: resolved, source: 'CHROME_PATH', mode: modeOf(binary ?? resolved), warning: null };
  }
  if (options.mode === 'shell') {
    const shell = HEADLESS_SHELL_PATHS.find(isExecutable);
    if (shell !== undefined) return { path: resolve(shell), source: 'system', mode: 'shell', warning: null };
    const downloaded = options.puppeteerBrowser('shell');
    if (downloaded !== null && isExecutable(downloaded)) return { path: downloaded, source: 'puppeteer', mode: 'shell', warning: null };
  }
  const full = findFull(options, isExecutable, resolve);
  if (full !== null) {
    const warning =
      options.mode === 'shell'
        ? `No chrome-headless-shell found, so the full Chromium runs (about 100 MiB more). To resolve, install it (${INSTALL_SHELL}), or set BROWSER_MODE=full to silence this.`
        : null;
    return { ...full, warning };
  }
  throw new AppError(
    'BROWSER_NOT_FOUND',
    options.mode === 'shell'
      ? `No chrome-headless-shell or Chromium found. To resolve, install one (${INSTALL_SHELL}), or set CHROME_PATH to its binary.`
      : 'No Chromium or Chrome found (BROWSER_MODE=full). To resolve, install one (Debian/Ubuntu: sudo apt-get install chromium), set CHROME_PATH to its binary, or run: npx puppeteer browsers install chrome',
  );
}

function findFull(
  options: FindBrowserOptions,
  isExecutable: (file: string) => boolean,
  resolve: (file: string) => string,
): Omit<FoundBrowser, 'warning'> | null {
  const system = SYSTEM_BROWSER_PATHS.find(isExecutable);
  if (system !== undefined) return { path: resolve(system), source: 'system', mode: 'full' };
  const downloaded = options.puppeteerBrowser('full');
  if (downloaded !== null && isExecutable(downloaded)) return { path: downloaded, source: 'puppeteer', mode: 'full' };
  return null;
}

/** chrome-headless-shell (Google's name) or chromium-headless-shell (Debian's): launched as `headless: 'shell'`. */
export function modeOf(file: string): BrowserMode {
  return /headless[-_]shell/.test(path.basename(file)) ? 'shell' : 'full';
}

/** Wrappers around wrappers (a CI image's script around Debian's /usr/bin/chromium) are followed this deep. */
const MAX_WRAPPER_DEPTH = 4;

/**
 * For a script that runs a browser without `exec`, what it runs (followed through further
 * wrappers); anything else as it is. A script that `exec`s (Debian's /usr/bin/chromium)
 * replaces itself, so it is safe to keep, and keeping it keeps what it sets up.
 */
export function unwrap(file: string, readHead: (file: string) => string, isExecutable: (file: string) => boolean, depth = 0): string {
  if (depth >= MAX_WRAPPER_DEPTH || !readHead(file).startsWith('#!')) return file;
  const [first] = scriptTargets(readHead(file), readHead, isExecutable);
  if (first === undefined || /^exec\s/.test(first.statement)) return file;
  return unwrap(first.target, readHead, isExecutable, depth + 1);
}

/**
 * The browser binaries `file` runs: itself when it is one, else those a wrapper script starts
 * (with or without `exec`, through further wrappers; `$VAR` and `${VAR}` from plain assignments
 * above are expanded, as in Debian's `exec $LIBDIR/$APPNAME`). What the process table shows as
 * `/proc/<pid>/exe` of a browser launched through `file`. A wrapper this cannot read (a name
 * found on PATH, a variable from the environment) yields nothing: the daemon then learns the
 * binary from the running browser (`chromium/browser-binaries.ts`).
 */
export function browserBinaries(
  file: string,
  readHead: (file: string) => string = readFileHead,
  isExecutable: (file: string) => boolean = canExecute,
  depth = 0,
): string[] {
  const head = readHead(file);
  if (!head.startsWith('#!')) return [file];
  if (depth >= MAX_WRAPPER_DEPTH) return [];
  const found = scriptTargets(head, readHead, isExecutable).flatMap((t) => browserBinaries(t.target, readHead, isExecutable, depth + 1));
  return [...new Set(found)];
}

/** The browsers (binaries or further scripts) a script names by absolute path, with the statement naming each. */
function scriptTargets(
  head: string,
  readHead: (file: string) => string,
  isExecutable: (file: string) => boolean,
): Array<{ statement: string; target: string }> {
  const vars = new Map<string, string>();
  const expand = (text: string): string => text.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => vars.get(name) ?? whole);
  const found: Array<{ statement: string; target: string }> = [];
  for (const line of head.split('\n').slice(1)) {
    const statement = line.trim();
    if (statement.startsWith('#')) continue;
    const assignment = /^(\w+)=("?)([^\s"]*)\2$/.exec(statement);
    if (assignment) {
      vars.set(assignment[1] ?? '', expand(assignment[3] ?? ''));
      continue;
    }
    const target = /(?:^|\s|")(\/[^\s"';|&]+)/.exec(expand(statement))?.[1];
    if (target === undefined || !/chrom|headless/i.test(path.basename(target)) || !isExecutable(target)) continue;
    const targetHead = readHead(target);
    if (targetHead.startsWith('\x7fELF') || targetHead.startsWith('#!')) found.push({ statement, target });
  }
  return found;
}

/** Whether `file` exists and this user may run it. */
export function canExecute(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function readFileHead(file: string): string {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(16_384);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString('latin1');
  } catch {
    return '';
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
