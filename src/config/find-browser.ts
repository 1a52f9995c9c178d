import { accessSync, constants } from 'node:fs';
import { AppError } from '../errors';

/** Where Debian, Ubuntu, Alpine and Google's packages put the browser. */
export const SYSTEM_BROWSER_PATHS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
];

export interface FindBrowserOptions {
  /** CHROME_PATH / PUPPETEER_EXECUTABLE_PATH, when set. */
  readonly explicit: string | null;
  /** Puppeteer's own download, when it has one; injected so tests need no puppeteer cache. */
  readonly puppeteerBrowser: () => string | null;
  readonly isExecutable?: (file: string) => boolean;
}

export interface FoundBrowser {
  readonly path: string;
  readonly source: 'CHROME_PATH' | 'system' | 'puppeteer';
}

/**
 * The browser to launch: the explicit path if set (and it must work), else a system
 * Chromium/Chrome, else puppeteer's download. Throws BROWSER_NOT_FOUND saying how to get one.
 */
export function findBrowser(options: FindBrowserOptions): FoundBrowser {
  const isExecutable = options.isExecutable ?? canExecute;
  if (options.explicit !== null) {
    if (!isExecutable(options.explicit)) {
      throw new AppError(
        'BROWSER_NOT_FOUND',
        `CHROME_PATH=${options.explicit} is not an executable file. To resolve, point CHROME_PATH at Chromium or Chrome (e.g. /usr/bin/chromium), or unset it to detect one.`,
      );
    }
    return { path: options.explicit, source: 'CHROME_PATH' };
  }
  const system = SYSTEM_BROWSER_PATHS.find(isExecutable);
  if (system !== undefined) return { path: system, source: 'system' };
  const downloaded = options.puppeteerBrowser();
  if (downloaded !== null && isExecutable(downloaded)) return { path: downloaded, source: 'puppeteer' };
  throw new AppError(
    'BROWSER_NOT_FOUND',
    'No Chromium or Chrome found. To resolve, install one (Debian/Ubuntu: sudo apt-get install chromium), set CHROME_PATH to its binary, or run: npx puppeteer browsers install chrome',
  );
}

function canExecute(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
