// DELETE /api/session/clear, also several at once and during starting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useScene } from '../support/scene';
import { Daemon } from '../support/daemon';
import { attachPhone, scanAndWaitReady } from '../support/phone';
import { sleep } from '../support/wait';

describe('clearing the session', { timeout: 240_000 }, () => {
  const pair = async (): Promise<void> => {
    scene.phone = await attachPhone(scene.daemon);
    await scanAndWaitReady(scene.daemon, scene.phone);
    await scene.phone.detach();
    scene.phone = undefined;
  };

  /** After a clear: a fresh QR, one browser, and the old keys gone from the new profile. */
  const assertFreshQr = async (): Promise<void> => {
    const status = await scene.daemon.waitFor((s) => s.state === 'qr' && s.hasQr, 'showing a fresh QR');
    assert.equal(status.me, null);
    assert.equal((await scene.sandbox.browserMainProcesses()).length, 1, 'exactly one browser');
    scene.phone = await attachPhone(scene.daemon);
    const page = await scene.phone.state();
    assert.equal(page.paired, false, 'the new profile holds no pairing');
    await scene.phone.detach();
    scene.phone = undefined;
  };

  const scene = useScene(async () => {
    scene.daemon = await Daemon.start(scene.sandbox);
    await pair();
  });

  it('from ready: logs out, wipes the profile, comes back with a fresh QR', async () => {
    const response = await scene.daemon.request('DELETE', '/api/session/clear');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal((response.body as { success: boolean }).success, true);
    await assertFreshQr();
    const metadata = await scene.daemon.status();
    assert.equal(metadata.sessionExpired, false);
  });

  it('several at once: one operation, one browser, a fresh QR', async () => {
    await pair();
    const responses = await Promise.all([1, 2, 3].map(() => scene.daemon.request('DELETE', '/api/session/clear')));
    for (const response of responses) assert.equal(response.status, 200, JSON.stringify(response.body));
    await assertFreshQr();
    const clears = scene.daemon.lines.filter((l) => /ready -> logged_out: Session cleared by an operator/.test(l));
    assert.equal(clears.length, 2, 'one clear for the first test, one shared by the three concurrent calls');
  });

  it('during starting: never two browsers, and the old session is gone after a restart', async () => {
    await pair();
    assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
    scene.daemon = await Daemon.start(scene.sandbox);
    // HTTP answers long before Chromium is up: clear now, while the paired session restores.
    const early = await scene.daemon.status();
    assert.equal(early.state, 'starting');
    const response = await scene.daemon.request('DELETE', '/api/session/clear');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    await assertFreshQr();
    await sleep(1_000);
    assert.equal((await scene.sandbox.browserMainProcesses()).length, 1, 'still one browser after things settle');

    assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
    scene.daemon = await Daemon.start(scene.sandbox);
    const restarted = await scene.daemon.waitFor((s) => s.state === 'qr' || s.state === 'ready', 'up');
    assert.equal(restarted.state, 'qr', 'the cleared session does not come back');
    assert.equal(restarted.sessionExpired, false, 'a cleared session is not reported as expired');
  });
});
