// Which browser the daemon launches, as the operating system sees it: the headless shell by
// default (the binary itself, never Debian's wrapper script), the full Chromium with
// BROWSER_MODE=full. Each reaches a QR, and SIGTERM leaves nothing behind.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { browsersOnProfile } from '../chaos/browsers';
import { Daemon } from '../support/daemon';
import { useScene } from '../support/scene';

const SHELL_BINARY = '/usr/lib/chromium/chromium-headless-shell';
const SHELL_WRAPPER = '/usr/bin/chromium-headless-shell';
const FULL_BINARY = '/usr/lib/chromium/chromium';
const debianBrowsers =
  existsSync(SHELL_BINARY) && existsSync(SHELL_WRAPPER) && existsSync(FULL_BINARY) ? false : "needs Debian's chromium and chromium-headless-shell";

async function parentName(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return (await readFile(`/proc/${ppid}/comm`, 'utf8')).trim();
}

describe('browser mode', { timeout: 120_000, skip: debianBrowsers }, () => {
  const scene = useScene();

  async function launched(env: Record<string, string>): Promise<{ exe: string; parent: string; log: string }> {
    const daemon = await Daemon.start(scene.sandbox, { env });
    try {
      await daemon.waitForState('qr');
      const [browser, ...more] = await browsersOnProfile(scene.sandbox.profileDir);
      assert.ok(browser, 'a browser runs');
      assert.deepEqual(more, [], 'one browser');
      const log = daemon.records.find((r) => r.message.startsWith('Using browser'))?.message ?? '';
      return { exe: await readlink(`/proc/${browser.pid}/exe`), parent: await parentName(browser.pid), log };
    } finally {
      assert.equal((await daemon.stop('SIGTERM')).code, 0);
      assert.deepEqual(await scene.sandbox.browserProcesses(), [], 'nothing left after SIGTERM');
    }
  }

  it('by default: the headless shell binary, a child of the daemon (no shell in between), and the log says so', async () => {
    const run = await launched({ CHROME_PATH: '' });
    assert.equal(run.exe, SHELL_BINARY);
    assert.equal(run.parent, 'node');
    assert.equal(run.log, `Using browser ${SHELL_BINARY} (headless shell, system)`);
  });

  it("CHROME_PATH at Debian's wrapper script: the binary it would run is launched instead", async () => {
    const run = await launched({ CHROME_PATH: SHELL_WRAPPER });
    assert.equal(run.exe, SHELL_BINARY);
    assert.equal(run.parent, 'node', 'not sh: a signal by pid reaches the browser');
    assert.match(run.log, /headless shell, from CHROME_PATH/);
  });

  it('BROWSER_MODE=full: the full Chromium in its new headless mode', async () => {
    const run = await launched({ CHROME_PATH: '', BROWSER_MODE: 'full' });
    assert.equal(run.exe, FULL_BINARY);
    assert.equal(run.log, 'Using browser /usr/bin/chromium (full Chromium, system)');
  });
});
