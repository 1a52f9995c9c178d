import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findBrowser, SYSTEM_BROWSER_PATHS } from '../../../src/config/find-browser';
import { AppError } from '../../../src/errors';

function executables(...files: string[]) {
  const set = new Set(files);
  const asked: string[] = [];
  return { isExecutable: (file: string) => (asked.push(file), set.has(file)), asked };
}

function notFound(check: (error: AppError) => void) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'BROWSER_NOT_FOUND');
    check(error);
    return true;
  };
}

describe('findBrowser', () => {
  it('uses an explicit path that is executable', () => {
    const fs = executables('/opt/chrome/chrome', '/usr/bin/chromium');
    assert.deepEqual(findBrowser({ explicit: '/opt/chrome/chrome', puppeteerBrowser: () => null, ...fs }), {
      path: '/opt/chrome/chrome',
      source: 'CHROME_PATH',
    });
  });

  it('an explicit path that is missing is an error naming CHROME_PATH, even if a system browser exists', () => {
    const fs = executables('/usr/bin/chromium');
    assert.throws(
      () => findBrowser({ explicit: '/nope/chrome', puppeteerBrowser: () => '/pptr/chrome', ...fs }),
      notFound((error) => {
        assert.match(error.message, /CHROME_PATH/);
        assert.match(error.message, /\/nope\/chrome/);
        assert.match(error.message, /To resolve/);
      }),
    );
  });

  it('finds a system Chromium/Chrome, in the documented order', () => {
    for (const [i, file] of SYSTEM_BROWSER_PATHS.entries()) {
      const fs = executables(...SYSTEM_BROWSER_PATHS.slice(i));
      assert.deepEqual(findBrowser({ explicit: null, puppeteerBrowser: () => '/pptr/chrome', ...fs }), { path: file, source: 'system' });
    }
    assert.ok(SYSTEM_BROWSER_PATHS.includes('/usr/bin/chromium'));
  });

  it("falls back to puppeteer's download", () => {
    const fs = executables('/home/app/.cache/puppeteer/chrome/linux-1/chrome-linux64/chrome');
    assert.deepEqual(
      findBrowser({ explicit: null, puppeteerBrowser: () => '/home/app/.cache/puppeteer/chrome/linux-1/chrome-linux64/chrome', ...fs }),
      { path: '/home/app/.cache/puppeteer/chrome/linux-1/chrome-linux64/chrome', source: 'puppeteer' },
    );
  });

  it("a puppeteer path that is not there (cache not installed) does not count", () => {
    const fs = executables();
    assert.throws(() => findBrowser({ explicit: null, puppeteerBrowser: () => '/pptr/missing', ...fs }), notFound(() => undefined));
    assert.ok(fs.asked.includes('/pptr/missing'));
  });

  it('nothing found: the message says how to install one', () => {
    assert.throws(
      () => findBrowser({ explicit: null, puppeteerBrowser: () => null, ...executables() }),
      notFound((error) => {
        assert.match(error.message, /To resolve/);
        assert.match(error.message, /apt-get install chromium/);
        assert.match(error.message, /CHROME_PATH/);
        assert.match(error.message, /npx puppeteer browsers install chrome/);
      }),
    );
  });

  it('without an injected check it uses the real file system', () => {
    assert.deepEqual(findBrowser({ explicit: process.execPath, puppeteerBrowser: () => null }), {
      path: process.execPath,
      source: 'CHROME_PATH',
    });
    assert.throws(() => findBrowser({ explicit: '/definitely/not/here', puppeteerBrowser: () => null }), notFound(() => undefined));
  });
});
