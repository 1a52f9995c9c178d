// Signals at the worst moments: the daemon exits in order (code 0, lock released, no browser
// left) however early SIGTERM comes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { readProcStat } from '../../src/chromium/chromium-processes';
import { sessionPaths } from '../../src/config/session-paths';
import { CLIENT_ID, Daemon } from '../support/daemon';
import { startPairedDaemon } from '../support/phone';
import { useScene } from '../support/scene';

/** The pids whose parent is `pid`, with their command lines. */
async function childrenOf(pid: number): Promise<Array<{ pid: number; cmdline: string }>> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readProcStat(Number(name));
    if (stat?.ppid !== pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    found.push({ pid: Number(name), cmdline: cmdline.split('\0').join(' ').trim() });
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds a process used, from /proc/<pid>/stat (utime + stime, in 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('signals', { timeout: 120_000 }, () => {
  const scene = useScene();

  it('its log pipe closed: the daemon stays idle, keeps answering, and stops on SIGTERM', async () => {
    const daemon = await Daemon.start(scene.sandbox);
    await daemon.waitForState('qr');
    daemon.child.closeOutput();
    // Plenty to log into the closed pipe: a clear, its transitions, a new QR, debug lines.
    assert.equal((await daemon.request('DELETE', '/api/session/clear')).status, 200);
    const before = await cpuSeconds(daemon.pid);
    const started = Date.now();
    while (Date.now() - started < 3_000) {
      const at = Date.now();
      assert.equal((await daemon.request('GET', '/api/health', false)).status, 200);
      assert.ok(Date.now() - at < 1_000, 'health answers within a second');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const used = (await cpuSeconds(daemon.pid)) - before;
    assert.ok(used < 1.5, `idle, not spinning on EPIPE: ${used.toFixed(2)} CPU s in 3 s`);
    const exit = await daemon.stop('SIGTERM', 15_000);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    assert.ok(exit.ms < 10_000, `stopped in ${exit.ms} ms`);
    assert.deepEqual(await scene.sandbox.browserProcesses(), [], 'no Chromium left');
  });

  it('SIGTERM to the `npm start` process stops npm, the daemon and its browser within the budget; the session is kept', async () => {
    const daemon = await startPairedDaemon(scene.sandbox, { entry: 'npm-start' });
    // npm runs the start script through sh, which `exec`s node: the daemon is npm's own child.
    const [node, ...others] = await childrenOf(daemon.pid);
    assert.equal(others.length, 0, JSON.stringify(others));
    assert.match(node?.cmdline ?? '', /^\S*node --max-semi-space-size=1 dist\/src\/main\.js$/, 'nothing between npm and node');
    const exit = await daemon.stop('SIGTERM', 15_000);
    // The daemon's own budget is SHUTDOWN_TIMEOUT_MS (8 s by default); Render kills after 30 s.
    assert.ok(exit.ms < 8_000, `npm exited ${exit.ms} ms after SIGTERM`);
    assert.equal(alive(node?.pid ?? 0), false, 'the daemon is gone with npm');
    assert.deepEqual(await scene.sandbox.browserProcesses(), [], 'no Chromium left');
    assert.ok(
      daemon.records.some((r) => /SIGTERM received: shutting down/.test(r.message)),
      'the daemon ran its orderly shutdown',
    );
    assert.ok(existsSync(scene.sandbox.profileDir), 'the session is kept');
    const again = await Daemon.start(scene.sandbox);
    await again.waitForState('ready');
    assert.equal(
      again.records.some((r) => r.to === 'qr'),
      false,
      'restored without a QR',
    );
    await again.stop();
  });

  it('SIGTERM the moment HTTP listens (before the start has finished): an orderly exit, code 0', async () => {
    for (let round = 0; round < 3; round++) {
      const daemon = await Daemon.start(scene.sandbox, { waitForHttp: false });
      await daemon.waitForLog(/HTTP listening/, 20_000);
      const exit = await daemon.stop('SIGTERM');
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `round ${round}:\n${daemon.tail()}`);
      assert.ok(
        daemon.records.some((r) => /SIGTERM received: shutting down/.test(r.message)),
        'the orderly shutdown ran',
      );
      assert.deepEqual(
        daemon.records.filter((r) => r.level === 'error').map((r) => r.message),
        [],
        'an orderly stop logs no error',
      );
      assert.equal(existsSync(sessionPaths(scene.sandbox.authPath, CLIENT_ID).lockFile), false, 'the instance lock is released');
      assert.deepEqual(await scene.sandbox.browserProcesses(), [], 'no Chromium left');
    }
  });
});
