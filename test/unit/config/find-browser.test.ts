import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  browserBinaries,
  findBrowser,
  HEADLESS_SHELL_PATHS,
  modeOf,
  SYSTEM_BROWSER_PATHS,
  unwrap,
  type FindBrowserOptions,
} from '../../../src/config/find-browser';
import { AppError } from '../../../src/common/errors';

const ELF = '\x7fELF\x02\x01\x01';
/** Debian's /usr/bin/chromium-headless-shell, as shipped: runs the binary as a child, no exec. */
const DEBIAN_SHELL_WRAPPER = '#!/bin/sh -e\n\n/usr/lib/chromium/chromium-headless-shell "$@"\n';
/** The tail of Debian's /usr/bin/chromium: it execs, so the browser replaces the script. */
const DEBIAN_CHROMIUM_WRAPPER = '#!/bin/sh\nLIBDIR=/usr/lib/chromium\nexec /usr/lib/chromium/chromium $CHROMIUM_FLAGS "$@"\n';

/** A fake file system: executables and what their first bytes are (ELF unless given). */
function files(entries: Record<string, string>) {
  const asked: string[] = [];
  return {
    asked,
    isExecutable: (file: string) => (asked.push(file), file in entries),
    readHead: (file: string) => entries[file] ?? '',
  };
}

function find(options: Partial<FindBrowserOptions> & Pick<FindBrowserOptions, 'isExecutable' | 'readHead'>) {
  return findBrowser({ explicit: null, mode: 'shell', puppeteerBrowser: () => null, ...options });
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
  it("shell mode (the default) prefers the headless shell, resolving Debian's wrapper to the binary it runs", () => {
    const fs = files({
      '/usr/bin/chromium-headless-shell': DEBIAN_SHELL_WRAPPER,
      '/usr/lib/chromium/chromium-headless-shell': ELF,
      '/usr/bin/chromium': ELF,
    });
    assert.deepEqual(find(fs), { path: '/usr/lib/chromium/chromium-headless-shell', source: 'system', mode: 'shell', warning: null });
    const wrapperOnly = files({
      '/usr/bin/chromium-headless-shell': '#!/bin/sh -e\n\n/opt/shell/chromium-headless-shell "$@"\n',
      '/opt/shell/chromium-headless-shell': ELF,
    });
    assert.equal(find(wrapperOnly).path, '/opt/shell/chromium-headless-shell', 'the wrapper is never what puppeteer holds');
    assert.deepEqual(HEADLESS_SHELL_PATHS, ['/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium-headless-shell']);
  });

  it("shell mode: puppeteer's chrome-headless-shell next, then the full browser with a warning that says how to install the shell", () => {
    const pptr = '/app/.cache/puppeteer/chrome-headless-shell/linux-1/chrome-headless-shell-linux64/chrome-headless-shell';
    assert.deepEqual(find({ ...files({ [pptr]: ELF, '/usr/bin/chromium': ELF }), puppeteerBrowser: (mode) => (mode === 'shell' ? pptr : null) }), {
      path: pptr,
      source: 'puppeteer',
      mode: 'shell',
      warning: null,
    });
    const fallback = find(files({ '/usr/bin/chromium': DEBIAN_CHROMIUM_WRAPPER, '/usr/lib/chromium/chromium': ELF }));
    assert.equal(fallback.path, '/usr/bin/chromium', 'a wrapper that execs is kept');
    assert.equal(fallback.mode, 'full');
    assert.match(
      fallback.warning ?? '',
      /No chrome-headless-shell found.*To resolve, install it \(Debian\/Ubuntu: sudo apt-get install chromium-headless-shell.*BROWSER_MODE=full/,
    );
  });

  it("full mode looks for the full browser only, in the documented order, then puppeteer's Chrome", () => {
    for (const [i, file] of SYSTEM_BROWSER_PATHS.entries()) {
      const fs = files(Object.fromEntries([...SYSTEM_BROWSER_PATHS.slice(i), '/usr/lib/chromium/chromium-headless-shell'].map((f) => [f, ELF])));
      assert.deepEqual(find({ ...fs, mode: 'full' }), { path: file, source: 'system', mode: 'full', warning: null });
    }
    const pptr = '/app/.cache/puppeteer/chrome/linux-1/chrome-linux64/chrome';
    assert.deepEqual(find({ ...files({ [pptr]: ELF }), mode: 'full', puppeteerBrowser: (mode) => (mode === 'full' ? pptr : null) }), {
      path: pptr,
      source: 'puppeteer',
      mode: 'full',
      warning: null,
    });
  });

  it('an explicit path is used as given, launched as what the binary is; a missing one names CHROME_PATH', () => {
    const fs = files({
      '/opt/chrome/chrome': ELF,
      '/usr/bin/chromium-headless-shell': DEBIAN_SHELL_WRAPPER,
      '/usr/lib/chromium/chromium-headless-shell': ELF,
    });
    assert.deepEqual(find({ ...fs, explicit: '/opt/chrome/chrome' }), {
      path: '/opt/chrome/chrome',
      source: 'CHROME_PATH',
      mode: 'full',
      warning: null,
    });
    assert.deepEqual(find({ ...fs, explicit: '/usr/bin/chromium-headless-shell', mode: 'full' }), {
      path: '/usr/lib/chromium/chromium-headless-shell',
      source: 'CHROME_PATH',
      mode: 'shell',
      warning: null,
    });
    assert.throws(
      () => find({ ...fs, explicit: '/nope/chrome' }),
      notFound((error) => assert.match(error.message, /CHROME_PATH=\/nope\/chrome is not an executable file\. To resolve/)),
    );
  });

  it('a puppeteer path that is not there does not count; nothing found says how to install one', () => {
    const fs = files({});
    assert.throws(
      () => find({ ...fs, puppeteerBrowser: () => '/pptr/missing' }),
      notFound((error) => assert.match(error.message, /apt-get install chromium-headless-shell/)),
    );
    assert.ok(fs.asked.includes('/pptr/missing'));
    assert.throws(
      () => find({ ...files({}), mode: 'full' }),
      notFound((error) => {
        assert.match(error.message, /apt-get install chromium\)/);
        assert.match(error.message, /npx puppeteer browsers install chrome/);
      }),
    );
  });

  it('names: chrome-headless-shell and chromium-headless-shell are the shell', () => {
    assert.equal(modeOf('/x/chrome-headless-shell'), 'shell');
    assert.equal(modeOf('/usr/lib/chromium/chromium-headless-shell'), 'shell');
    assert.equal(modeOf('/usr/bin/chromium'), 'full');
    assert.equal(modeOf('/opt/headless-shell-tools/chrome'), 'full', 'only the file name counts');
  });

  it('unwraps real files: a script without exec to its binary; a script with exec, and a binary, as they are', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wa-tether-browser-'));
    try {
      const binary = path.join(dir, 'chromium-headless-shell');
      writeFileSync(binary, `${ELF}rest of a binary`);
      const wrapper = path.join(dir, 'wrapper');
      writeFileSync(wrapper, `#!/bin/sh -e\n# comment mentioning /bin/chromium\n${binary} "$@"\n`);
      const execWrapper = path.join(dir, 'exec-wrapper');
      writeFileSync(execWrapper, `#!/bin/sh\nexec ${binary} "$@"\n`);
      for (const file of [binary, wrapper, execWrapper]) chmodSync(file, 0o755);
      assert.equal(findBrowser({ explicit: wrapper, mode: 'shell', puppeteerBrowser: () => null }).path, binary);
      assert.equal(findBrowser({ explicit: execWrapper, mode: 'shell', puppeteerBrowser: () => null }).path, execWrapper);
      assert.equal(findBrowser({ explicit: binary, mode: 'shell', puppeteerBrowser: () => null }).path, binary);
      assert.equal(
        unwrap(
          process.execPath,
          () => ELF,
          () => true,
        ),
        process.execPath,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a wrapper around a wrapper (a CI image's script around Debian's /usr/bin/chromium) is followed to the binary, which decides the mode", () => {
    const ciWrapper = '#!/bin/sh\nexec /usr/bin/chromium "$@"\n';
    const fs = files({ '/ci/browser': ciWrapper, '/usr/bin/chromium': DEBIAN_CHROMIUM_WRAPPER, '/usr/lib/chromium/chromium': ELF });
    // The old reading stopped at /usr/bin/chromium (a script, not ELF) and found no binary at all.
    assert.deepEqual(browserBinaries('/ci/browser', fs.readHead, fs.isExecutable), ['/usr/lib/chromium/chromium']);
    assert.deepEqual(find({ ...fs, explicit: '/ci/browser' }), { path: '/ci/browser', source: 'CHROME_PATH', mode: 'full', warning: null });

    const shellFs = files({
      '/ci/browser': '#!/bin/sh\nexec /usr/bin/chromium-headless-shell "$@"\n',
      '/usr/bin/chromium-headless-shell': DEBIAN_SHELL_WRAPPER,
      '/usr/lib/chromium/chromium-headless-shell': ELF,
    });
    assert.deepEqual(browserBinaries('/ci/browser', shellFs.readHead, shellFs.isExecutable), ['/usr/lib/chromium/chromium-headless-shell']);
    assert.equal(
      find({ ...shellFs, explicit: '/ci/browser' }).mode,
      'shell',
      'a wrapper named anything around the headless shell is launched as the shell',
    );

    // Without exec around a script that execs: the inner script is what puppeteer must hold.
    const noExec = files({
      '/ci/browser': '#!/bin/sh\n/usr/bin/chromium "$@"\n',
      '/usr/bin/chromium': DEBIAN_CHROMIUM_WRAPPER,
      '/usr/lib/chromium/chromium': ELF,
    });
    assert.equal(unwrap('/ci/browser', noExec.readHead, noExec.isExecutable), '/usr/bin/chromium');
  });

  it('a wrapper it cannot read (a name on PATH, a loop) yields no binary rather than a wrong one', () => {
    const onPath = files({ '/ci/browser': '#!/bin/sh\nexec chromium "$@"\n' });
    assert.deepEqual(browserBinaries('/ci/browser', onPath.readHead, onPath.isExecutable), []);
    const loop = files({ '/ci/a-chromium': '#!/bin/sh\nexec /ci/b-chromium "$@"\n', '/ci/b-chromium': '#!/bin/sh\nexec /ci/a-chromium "$@"\n' });
    assert.deepEqual(browserBinaries('/ci/a-chromium', loop.readHead, loop.isExecutable), []);
    assert.equal(find({ ...loop, explicit: '/ci/a-chromium' }).path, '/ci/a-chromium');
  });
});
