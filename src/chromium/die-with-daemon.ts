import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface BrowserLaunch {
  /** What puppeteer starts. */
  readonly executablePath: string;
  readonly env: Readonly<Record<string, string>>;
  /** Whether the browser dies with the daemon's process (kill -9 included). */
  readonly diesWithDaemon: boolean;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, pathVariable: string | undefined): string | null {
  for (const dir of (pathVariable ?? '/usr/bin:/bin').split(':')) {
    if (dir !== '' && executable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/**
 * The browser started through `scripts/run-browser.sh` (setpriv --pdeathsig) on Linux when
 * util-linux's setpriv is there, so an orphaned Chromium never outlives a daemon killed with
 * kill -9; the browser as it is otherwise (the next start still ends orphans it finds).
 */
export function browserLaunch(browser: string, env: Readonly<Record<string, string>>, packageRoot: string): BrowserLaunch {
  const wrapper = path.join(packageRoot, 'scripts', 'run-browser.sh');
  if (process.platform !== 'linux' || findOnPath('setpriv', env.PATH) === null || !executable(wrapper)) {
    return { executablePath: browser, env, diesWithDaemon: false };
  }
  return { executablePath: wrapper, env: { ...env, WA_TETHER_BROWSER: browser }, diesWithDaemon: true };
}
