// whatsapp-web.js adds its `change:hasSynced` listener late: a page that finishes syncing first
// leaves the client hanging with no event and no error (and getState() answers CONNECTED). The
// daemon's start timer must notice and relaunch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useScene } from '../support/scene';
import { writeSimPage } from '../sim';
import { Daemon } from '../support/daemon';
import { startPairedDaemon } from '../support/phone';

describe('authenticated but never ready (eager sync)', { timeout: 120_000 }, () => {
  const scene = useScene(async () => {
    scene.daemon = await startPairedDaemon(scene.sandbox);
    assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
  });

  it('the watchdog relaunches the hung client and the session comes back, no QR', async () => {
    await writeSimPage(scene.sandbox.cachePath, { qrRotateMs: 0, eagerSync: true });
    scene.daemon = await Daemon.start(scene.sandbox, { env: { START_TIMEOUT_MS: '6000' } });
    // The page syncs before the library listens: no authenticated, no ready, no error.
    await scene.daemon.waitForLog(/Connection lost \(no QR and no login within 6000 ms of launch\)/, 20_000);
    assert.equal((await scene.daemon.status()).state, 'reconnecting');
    // The next launch loads a page that syncs normally (the real page's order varies by load).
    await writeSimPage(scene.sandbox.cachePath, { qrRotateMs: 0 });
    const seen: string[] = [];
    const ready = await scene.daemon.waitForState('ready', 30_000, seen);
    assert.deepEqual(ready.me, { id: '15550001111', name: 'Sim Phone' });
    assert.ok(!scene.daemon.transitions().includes('qr'), scene.daemon.transitions().join(' '));
    assert.equal((await scene.sandbox.browserMainProcesses()).length, 1);
  });
});
