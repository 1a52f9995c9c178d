// Scenario 5 of issue 3: DELETE /api/session/clear, also several at once and during starting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SimPhone } from '../sim';
import { Daemon, Sandbox } from '../support/daemon';
import { attachPhone, scanAndWaitReady } from '../support/phone';
import { sleep } from '../support/wait';

describe('clearing the session', { timeout: 240_000 }, () => {
  let sandbox: Sandbox;
  let daemon: Daemon;
  let phone: SimPhone | undefined;

  const pair = async (): Promise<void> => {
    phone = await attachPhone(daemon);
    await scanAndWaitReady(daemon, phone);
    await phone.detach();
    phone = undefined;
  };

  /** After a clear: a fresh QR, one browser, and the old keys gone from the new profile. */
  const assertFreshQr = async (): Promise<void> => {
    const status = await daemon.waitFor((s) => s.state === 'qr' && s.hasQr, 'showing a fresh QR');
    assert.equal(status.me, null);
    assert.equal((await sandbox.browserMainProcesses()).length, 1, 'exactly one browser');
    phone = await attachPhone(daemon);
    const page = await phone.state();
    assert.equal(page.paired, false, 'the new profile holds no pairing');
    await phone.detach();
    phone = undefined;
  };

  before(async () => {
    sandbox = await Sandbox.create();
    daemon = await Daemon.start(sandbox);
    await pair();
  });
  after(async () => {
    await phone?.detach();
    if (!daemon.hasExited) await daemon.stop('SIGKILL');
    await sandbox.dispose();
  });

  it('from ready: logs out, wipes the profile, comes back with a fresh QR', async () => {
    const response = await daemon.request('DELETE', '/api/session/clear');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal((response.body as { success: boolean }).success, true);
    await assertFreshQr();
    const metadata = await daemon.status();
    assert.equal(metadata.sessionExpired, false);
  });

  it('several at once: one operation, one browser, a fresh QR', async () => {
    await pair();
    const responses = await Promise.all([1, 2, 3].map(() => daemon.request('DELETE', '/api/session/clear')));
    for (const response of responses) assert.equal(response.status, 200, JSON.stringify(response.body));
    await assertFreshQr();
    const clears = daemon.lines.filter((l) => /ready -> logged_out: Session cleared by an operator/.test(l));
    assert.equal(clears.length, 2, 'one clear for the first test, one shared by the three concurrent calls');
  });

  it('during starting: never two browsers, and the old session is gone after a restart', async () => {
    await pair();
    assert.equal((await daemon.stop('SIGTERM')).code, 0);
    daemon = await Daemon.start(sandbox);
    // HTTP answers long before Chromium is up: clear now, while the paired session restores.
    const early = await daemon.status();
    assert.equal(early.state, 'starting');
    const response = await daemon.request('DELETE', '/api/session/clear');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    await assertFreshQr();
    await sleep(1_000);
    assert.equal((await sandbox.browserMainProcesses()).length, 1, 'still one browser after things settle');

    assert.equal((await daemon.stop('SIGTERM')).code, 0);
    daemon = await Daemon.start(sandbox);
    const restarted = await daemon.waitFor((s) => s.state === 'qr' || s.state === 'ready', 'up');
    assert.equal(restarted.state, 'qr', 'the cleared session does not come back');
    assert.equal(restarted.sessionExpired, false, 'a cleared session is not reported as expired');
  });
});
