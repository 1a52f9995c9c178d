import path from 'node:path';
import { canExecute } from '../config/find-browser';

export interface BrowserLaunch {
  /** What puppeteer starts. */
  readonly executablePath: string;
  readonly env: Readonly<Record<string, string>>;
  /** Whether the browser dies with the daemon's process (kill -9 included). */
  readonly diesWithDaemon: boolean;
}

function onPath(name: string, pathVariable: string | undefined): boolean {
  return (pathVariable ?? '/usr/bin:/bin').split(':').some((dir) => dir !== '' && canExecute(path.join(dir, name)));
}

/**
 * The browser started through `scripts/run-browser.sh` (setpriv --pdeathsig) on Linux when
 * util-linux's setpriv is there, so an orphaned Chromium never outlives a daemon killed with
 * kill -9; the browser as it is otherwise (the next start still ends orphans it finds).
 */
export function browserLaunch(browser: string, env: Readonly<Record<string, string>>, packageRoot: string): BrowserLaunch {
  const wrapper = path.join(packageRoot, 'scripts', 'run-browser.sh');
  if (process.platform !== 'linux' || !onPath('setpriv', env.PATH) || !canExecute(wrapper)) {
    return { executablePath: browser, env, diesWithDaemon: false };
  }
  return { executablePath: wrapper, env: { ...env, WA_TETHER_BROWSER: browser }, diesWithDaemon: true };
}
