// Puppeteer reads this when it looks for its own browser download (at launch, and in
// `npx puppeteer browsers install`). Its postinstall download is off (allowScripts in
// package.json): where a system browser exists (Debian's chromium-headless-shell or
// chromium, or CHROME_PATH/PUPPETEER_EXECUTABLE_PATH) a download is wasted time and fails on
// machines without internet. Where none exists (Render's native Node runtime), the build
// command installs chrome-headless-shell into the project folder, the only folder Render
// keeps between build and run.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const SYSTEM_BROWSERS = [
  '/usr/lib/chromium/chromium-headless-shell',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
];

const explicit = process.env.CHROME_PATH || process.env.PUPPETEER_EXECUTABLE_PATH;
const hasBrowser = Boolean(explicit) || SYSTEM_BROWSERS.some((p) => existsSync(p));

/** @type {import('puppeteer').Configuration} */
module.exports = {
  cacheDirectory: process.env.PUPPETEER_CACHE_DIR || join(__dirname, '.cache', 'puppeteer'),
  skipDownload: hasBrowser || process.env.PUPPETEER_SKIP_DOWNLOAD === 'true',
};
