// Puppeteer reads this at `npm install` time (postinstall) and at launch.
// Why: where a system Chromium/Chrome exists (Debian's /usr/bin/chromium, or
// CHROME_PATH/PUPPETEER_EXECUTABLE_PATH), downloading puppeteer's own Chrome is
// wasted time and fails on machines without internet. Where none exists (Render's
// native Node runtime), the download goes into the project folder so it ships
// with the build: Render keeps only the project directory between build and run.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const SYSTEM_BROWSERS = [
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
