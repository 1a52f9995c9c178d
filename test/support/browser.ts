import { type BrowserMode, findBrowser } from '../../src/config/find-browser';

/**
 * The browser the end-to-end suite gives the daemon: CHROME_PATH, else what the daemon itself
 * detects for BROWSER_MODE (the headless shell by default), so the suite runs what ships.
 */
export const BROWSER = findBrowser({
  explicit: process.env.CHROME_PATH ?? process.env.PUPPETEER_EXECUTABLE_PATH ?? null,
  mode: (process.env.BROWSER_MODE === 'full' ? 'full' : 'shell') satisfies BrowserMode,
  puppeteerBrowser: () => null,
});
export const CHROME_PATH = BROWSER.path;
/** puppeteer's `headless` for CHROME_PATH, for tests that launch a browser of their own. */
export const HEADLESS: 'shell' | true = BROWSER.mode === 'shell' ? 'shell' : true;
/** The full Chromium, for the tests of BROWSER_MODE=full (throws BROWSER_NOT_FOUND without one). */
export function fullChromium(): string {
  return findBrowser({ explicit: null, mode: 'full', puppeteerBrowser: () => null }).path;
}
