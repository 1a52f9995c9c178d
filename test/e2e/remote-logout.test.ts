// The phone unlinks us; a fresh QR comes by itself; re-pair; restart. WhatsApp signals an unlink
// as Cmd 'logout_from_bridge' (today), 'logout' (older builds) or, after a reload, only by asking
// for a QR again: each must lead to a fresh session. The restart catches the trap where LocalAuth
// deletes the profile while Chromium still has it open: pairing again inside that browser would
// be lost at the next start.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useScene } from '../support/scene';
import { Daemon } from '../support/daemon';
import { attachPhone, scanAndWaitReady } from '../support/phone';

describe('remote logout', { timeout: 180_000 }, () => {
  const scene = useScene(async () => {
    scene.daemon = await Daemon.start(scene.sandbox);
    scene.phone = await attachPhone(scene.daemon);
    await scanAndWaitReady(scene.daemon, scene.phone);
  });

  it("a remote logout ('logout_from_bridge') brings a fresh QR by itself, in a new browser", async () => {
    assert.ok(scene.phone);
    const browserBefore = await scene.sandbox.browserMainProcesses();
    await scene.phone.remoteLogout('logout_from_bridge');
    await scene.phone.detach();
    scene.phone = undefined;
    const status = await scene.daemon.waitFor((s) => s.state === 'qr' && s.hasQr, 'showing a fresh QR');
    assert.equal(status.me, null, 'nobody is paired any more');
    assert.equal(status.sessionExpired, false, 'a logout is not an expired session');
    const transitions = scene.daemon.transitions();
    assert.deepEqual(transitions.slice(-3), ['logged_out', 'starting', 'qr'], transitions.join(' '));
    const browserAfter = await scene.sandbox.browserMainProcesses();
    assert.equal(browserAfter.length, 1, 'exactly one browser');
    assert.notDeepEqual(browserAfter, browserBefore, 'a brand-new browser, not the one whose profile was deleted');
    assert.ok(scene.daemon.lines.some((l) => /unlinked this device \(LOGOUT\)/.test(l)));
  });

  it('re-pairing works, and survives a restart (no QR after it)', async () => {
    scene.phone = await attachPhone(scene.daemon);
    await scene.phone.scan({ user: '15550003333', pushname: 'Second Phone' });
    const ready = await scene.daemon.waitForState('ready');
    assert.deepEqual(ready.me, { id: '15550003333', name: 'Second Phone' });
    await scene.phone.detach();
    scene.phone = undefined;

    assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
    scene.daemon = await Daemon.start(scene.sandbox);
    const seen: string[] = [];
    const restored = await scene.daemon.waitForState('ready', 30_000, seen);
    assert.deepEqual(restored.me, { id: '15550003333', name: 'Second Phone' });
    assert.ok(!scene.daemon.transitions().includes('qr'), scene.daemon.transitions().join(' '));
    assert.ok(!seen.includes('qr'), seen.join(' '));
  });

  const how = { logout: /unlinked this device \(LOGOUT\)/, silent: /asked for a new QR after login/ } as const;
  for (const signal of ['logout', 'silent'] as const) {
    it(`a remote logout signalled as '${signal}' also ends in a fresh QR, and a re-pair`, async () => {
      scene.phone = await attachPhone(scene.daemon);
      const before = scene.daemon.transitions().length;
      const linesBefore = scene.daemon.lines.length;
      await scene.phone.remoteLogout(signal);
      await scene.phone.detach();
      scene.phone = undefined;
      const status = await scene.daemon.waitFor((s) => s.state === 'qr' && s.hasQr && s.me === null, 'showing a fresh QR');
      assert.equal(status.sessionExpired, false);
      assert.deepEqual(scene.daemon.transitions().slice(before), ['logged_out', 'starting', 'qr'], scene.daemon.transitions().join(' '));
      assert.equal((await scene.sandbox.browserMainProcesses()).length, 1, 'exactly one browser');
      assert.ok(
        scene.daemon.lines.slice(linesBefore).some((l) => how[signal].test(l)),
        `noticed through ${how[signal]}`,
      );
      scene.phone = await attachPhone(scene.daemon);
      await scene.phone.scan({ user: '15550005555', pushname: 'Third Phone' });
      const ready = await scene.daemon.waitForState('ready');
      assert.deepEqual(ready.me, { id: '15550005555', name: 'Third Phone' });
    });
  }
});
