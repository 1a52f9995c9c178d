// Scenario 11 of issue 3. whatsapp-web.js 1.34.6 adds its `change:hasSynced` listener late: a
// page that finishes syncing first leaves the client hanging with no event and no error. The
// daemon's start watchdog must notice and relaunch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SIM_WEB_VERSION, writeSimPage } from '../sim';
import { Daemon, Sandbox } from '../support/daemon';
import { startPairedDaemon } from '../support/phone';

describe('authenticated but never ready (eager sync)', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  let daemon: Daemon;

  before(async () => {
    sandbox = await Sandbox.create();
    daemon = await startPairedDaemon(sandbox);
    assert.equal((await daemon.stop('SIGTERM')).code, 0);
  });
  after(async () => {
    if (!daemon.hasExited) await daemon.stop('SIGKILL');
    await sandbox.dispose();
  });

  it('the watchdog relaunches the hung client and the session comes back, no QR', async () => {
    await writeSimPage(sandbox.cachePath, { qrRotateMs: 0, eagerSync: true });
    daemon = await Daemon.start(sandbox, { env: { START_TIMEOUT_MS: '6000' } });
    // The page syncs before the library listens: no authenticated, no ready, no error.
    await daemon.waitForLog(/Connection lost \(no QR and no login within 6000 ms of launch\)/, 20_000);
    assert.equal((await daemon.status()).state, 'reconnecting');
    // The next launch loads a page that syncs normally (the real page's order varies by load).
    await writeSimPage(sandbox.cachePath, { qrRotateMs: 0 });
    const seen: string[] = [];
    const ready = await daemon.waitForState('ready', 30_000, seen);
    assert.deepEqual(ready.me, { id: '15550001111', name: 'Sim Phone' });
    assert.ok(!daemon.transitions().includes('qr'), daemon.transitions().join(' '));
    assert.equal((await sandbox.browserMainProcesses()).length, 1);
  });
});
