// The phone unlinks us; a fresh QR comes by itself; re-pair; restart. WhatsApp signals an unlink
// as Cmd 'logout_from_bridge' (today), 'logout' (older builds) or, after a reload, only by asking
// for a QR again: each must lead to a fresh session. The restart catches the trap where LocalAuth
// deletes the profile while Chromium still has it open: pairing again inside that browser would
// be lost at the next start.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SimPhone } from '../sim';
import { Daemon, Sandbox } from '../support/daemon';
import { attachPhone, scanAndWaitReady } from '../support/phone';

describe('remote logout', { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let daemon: Daemon;
  let phone: SimPhone | undefined;

  before(async () => {
    sandbox = await Sandbox.create();
    daemon = await Daemon.start(sandbox);
    phone = await attachPhone(daemon);
    await scanAndWaitReady(daemon, phone);
  });
  after(async () => {
    await phone?.detach();
    if (!daemon.hasExited) await daemon.stop('SIGKILL');
    await sandbox.dispose();
  });

  it("a remote logout ('logout_from_bridge') brings a fresh QR by itself, in a new browser", async () => {
    assert.ok(phone);
    const browserBefore = await sandbox.browserMainProcesses();
    await phone.remoteLogout('logout_from_bridge');
    await phone.detach();
    phone = undefined;
    const status = await daemon.waitFor((s) => s.state === 'qr' && s.hasQr, 'showing a fresh QR');
    assert.equal(status.me, null, 'nobody is paired any more');
    assert.equal(status.sessionExpired, false, 'a logout is not an expired session');
    const transitions = daemon.transitions();
    assert.deepEqual(transitions.slice(-3), ['logged_out', 'starting', 'qr'], transitions.join(' '));
    const browserAfter = await sandbox.browserMainProcesses();
    assert.equal(browserAfter.length, 1, 'exactly one browser');
    assert.notDeepEqual(browserAfter, browserBefore, 'a brand-new browser, not the one whose profile was deleted');
    assert.ok(daemon.lines.some((l) => /unlinked this device \(LOGOUT\)/.test(l)));
  });

  it('re-pairing works, and survives a restart (no QR after it)', async () => {
    phone = await attachPhone(daemon);
    await phone.scan({ user: '15550003333', pushname: 'Second Phone' });
    const ready = await daemon.waitForState('ready');
    assert.deepEqual(ready.me, { id: '15550003333', name: 'Second Phone' });
    await phone.detach();
    phone = undefined;

    assert.equal((await daemon.stop('SIGTERM')).code, 0);
    daemon = await Daemon.start(sandbox);
    const seen: string[] = [];
    const restored = await daemon.waitForState('ready', 30_000, seen);
    assert.deepEqual(restored.me, { id: '15550003333', name: 'Second Phone' });
    assert.ok(!daemon.transitions().includes('qr'), daemon.transitions().join(' '));
    assert.ok(!seen.includes('qr'), seen.join(' '));
  });

  const how = { logout: /unlinked this device \(LOGOUT\)/, silent: /asked for a new QR after login/ } as const;
  for (const signal of ['logout', 'silent'] as const) {
    it(`a remote logout signalled as '${signal}' also ends in a fresh QR, and a re-pair`, async () => {
      phone = await attachPhone(daemon);
      const before = daemon.transitions().length;
      const linesBefore = daemon.lines.length;
      await phone.remoteLogout(signal);
      await phone.detach();
      phone = undefined;
      const status = await daemon.waitFor((s) => s.state === 'qr' && s.hasQr && s.me === null, 'showing a fresh QR');
      assert.equal(status.sessionExpired, false);
      assert.deepEqual(daemon.transitions().slice(before), ['logged_out', 'starting', 'qr'], daemon.transitions().join(' '));
      assert.equal((await sandbox.browserMainProcesses()).length, 1, 'exactly one browser');
      assert.ok(daemon.lines.slice(linesBefore).some((l) => how[signal].test(l)), `noticed through ${how[signal]}`);
      phone = await attachPhone(daemon);
      await phone.scan({ user: '15550005555', pushname: 'Third Phone' });
      const ready = await daemon.waitForState('ready');
      assert.deepEqual(ready.me, { id: '15550005555', name: 'Third Phone' });
    });
  }
});
