import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flush } from '../../support/fake-clock';
import type { FakeWaClient } from '../../support/fake-wa-client';
import { createHarness, type Harness } from '../../support/supervisor-harness';
import { assertTransitionsAllowed } from '../../support/supervisor-helpers';

describe('SessionSupervisor: the phone unlinks us', () => {
  async function assertFreshSessionAfterLogout(h: Harness, old: FakeWaClient): Promise<void> {
    assert.equal(h.snap().me, null);
    await flush();
    assert.equal(old.count('logout'), 0, 'never logout() a client the phone already unlinked');
    assert.ok(old.count('destroy') >= 1, 'the old browser is destroyed');
    assert.equal(h.store.wipeCalls, 1);
    const destroyAt = h.journal.indexOf('client#1.destroy');
    const wipeAt = h.journal.indexOf('store.wipe');
    const createdAt = h.journal.indexOf('client#2.created');
    assert.ok(destroyAt >= 0 && destroyAt < wipeAt, 'wipe only after the browser is gone');
    assert.ok(wipeAt < createdAt, 'the new client starts on a wiped profile');
    assert.equal(h.metadata.data.pairedAt, null);
    assert.equal(h.metadata.data.me, null);
    assert.equal(h.metadata.data.lastLoggedOutAt, new Date(h.clock.now()).toISOString());
    assert.ok(h.metadata.data.logoutReason);
    assert.equal(h.factory.clients.length, 2, 'a brand-new client, not the old one re-initialized');
    assert.equal(old.count('initialize'), 1);
    assert.deepEqual(h.factory.live(), [h.factory.get(2)]);
    assert.equal(h.state(), 'starting');
    h.factory.get(2).qr('fresh');
    assert.equal(h.state(), 'qr');
    assert.equal(h.snap().sessionExpired, false, 'a logout is reported as a logout, not as an expiry');
    assert.deepEqual(h.transitions.slice(-3), ['ready → logged_out', 'logged_out → starting', 'starting → qr']);
    assertTransitionsAllowed(h);
  }

  it("disconnected('LOGOUT') after ready → logged_out, destroy (never logout), wipe, fresh client, QR", async () => {
    const h = createHarness();
    const old = await h.pairFresh();
    old.disconnected('LOGOUT');
    assert.equal(h.state(), 'logged_out');
    assert.match(h.snap().message, /QR/);
    await assertFreshSessionAfterLogout(h, old);
  });

  it('a QR after ready with no disconnected (an unlink with no logout event) takes the same path', async () => {
    const h = createHarness();
    const old = await h.pairFresh();
    old.qr('after-logout');
    assert.equal(h.state(), 'logged_out');
    assert.equal(h.qrs.length, 1, 'the QR of the unlinked browser is not shown');
    await assertFreshSessionAfterLogout(h, old);
  });

  it('a failing wipe after a logout is logged and a fresh client still comes', async () => {
    const h = createHarness();
    const old = await h.pairFresh();
    h.store.wipeError = new Error('EBUSY');
    old.disconnected('LOGOUT');
    await flush();
    assert.equal(h.logger.find('error', /wipe/).length, 1);
    assert.equal(h.factory.clients.length, 2);
    assert.equal(h.state(), 'starting');
  });
});
