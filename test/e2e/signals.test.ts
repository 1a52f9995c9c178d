// Signals at the worst moments: the daemon exits in order (code 0, lock released, no browser
// left) however early SIGTERM comes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { sessionPaths } from '../../src/storage/session-paths';
import { CLIENT_ID, Daemon } from '../support/daemon';
import { useScene } from '../support/scene';

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

  it('SIGTERM the moment HTTP listens (before the start has finished): an orderly exit, code 0', async () => {
    for (let round = 0; round < 3; round++) {
      const daemon = await Daemon.start(scene.sandbox, { waitForHttp: false });
      await daemon.waitForLog(/HTTP listening/, 20_000);
      const exit = await daemon.stop('SIGTERM');
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `round ${round}:\n${daemon.tail()}`);
      assert.ok(daemon.records.some((r) => /SIGTERM received: shutting down/.test(r.message)), 'the orderly shutdown ran');
      assert.deepEqual(daemon.records.filter((r) => r.level === 'error').map((r) => r.message), [], 'an orderly stop logs no error');
      assert.equal(existsSync(sessionPaths(scene.sandbox.authPath, CLIENT_ID).lockFile), false, 'the instance lock is released');
      assert.deepEqual(await scene.sandbox.browserProcesses(), [], 'no Chromium left');
    }
  });
});
