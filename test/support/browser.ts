/** The browser the end-to-end suite launches: CHROME_PATH, else Debian's Chromium. */
export const CHROME_PATH = process.env.CHROME_PATH ?? process.env.PUPPETEER_EXECUTABLE_PATH ?? '/usr/bin/chromium';
