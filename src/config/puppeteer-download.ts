import type { BrowserMode } from './find-browser';

/** Puppeteer's own downloaded browser for `mode`, if it has one. */
export function puppeteerDownload(mode: BrowserMode): string | null {
  try {
    // Only reached when no system browser exists, so the load is paid only then.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when no system browser exists
    const puppeteer = (require('puppeteer') as typeof import('puppeteer')).default;
    return puppeteer.executablePath({ headless: mode === 'shell' ? 'shell' : true });
  } catch {
    return null;
  }
}
