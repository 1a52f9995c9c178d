import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/common/errors';
import { flush } from '../../support/fake-clock';
import { createHarness } from '../../support/supervisor-harness';
import { browserDies } from '../../support/supervisor-helpers';

describe('SessionSupervisor: clear()', () => {
  it('from ready: logout, destroy, wipe, metadata cleared, new client → qr', async () => {
    const h = createHarness();
    const old = await h.pairFresh();
    const result = await h.supervisor.clear();
    assert.deepEqual(result, { loggedOut: true, wiped: true });
    assert.equal(old.count('logout'), 1);
    assert.ok(old.count('destroy') >= 1);
    const order = ['client#1.logout', 'client#1.destroy', 'store.wipe', 'client#2.created'].map((e) => h.journal.indexOf(e));
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      `order: ${h.journal.entries.join(', ')}`,
    );
    assert.ok(order.every((i) => i >= 0));
    assert.equal(h.metadata.data.pairedAt, null);
    assert.equal(h.metadata.data.me, null);
    assert.match(h.metadata.data.logoutReason ?? '', /operator/);
    assert.equal(h.snap().me, null);
    assert.deepEqual(h.factory.live(), [h.factory.get(2)]);
    h.factory.get(2).qr();
    assert.equal(h.state(), 'qr');
    assert.equal(h.snap().sessionExpired, false);
    assert.deepEqual(h.transitions.slice(-3), ['ready → logged_out', 'logged_out → starting', 'starting → qr']);
  });

  it('a logout() that hangs is bounded: the clear goes on without it', async () => {
    const h = createHarness();
    const old = await h.pairFresh();
    old.logoutOutcome = 'hang';
    let result: unknown = null;
    void h.supervisor.clear().then((r) => (result = r));
    await h.clock.advance(9_999);
    assert.equal(result, null);
    assert.equal(h.store.wipeCalls, 0);
    await h.clock.advance(1);
    assert.deepEqual(result, { loggedOut: false, wiped: true });
    assert.equal(h.store.wipeCalls, 1);
    assert.equal(h.logger.find('warn', /Logout on WhatsApp failed/).length, 1);
    assert.deepEqual(h.factory.live(), [h.factory.get(2)]);
  });

  for (const where of ['qr', 'starting'] as const) {
    it(`from ${where}: no logout (not paired), wipe, a fresh client`, async () => {
      const h = createHarness();
      const old = await h.start();
      if (where === 'qr') old.qr();
      const result = await h.supervisor.clear();
      assert.deepEqual(result, { loggedOut: false, wiped: true });
      assert.equal(old.count('logout'), 0);
      assert.ok(old.count('destroy') >= 1);
      assert.equal(h.store.wipeCalls, 1);
      assert.deepEqual(h.factory.live(), [h.factory.get(2)]);
      assert.equal(h.state(), 'starting');
    });
  }

  it('concurrent clear() calls share one operation: one logout, one wipe, one new client', async () => {
    const h = createHarness();
    const old = await h.pairFresh();
    const calls = [h.supervisor.clear(), h.supervisor.clear(), h.supervisor.clear()];
    assert.equal(calls[0], calls[1]);
    const results = await Promise.all(calls);
    for (const r of results) assert.deepEqual(r, { loggedOut: true, wiped: true });
    await flush();
    assert.equal(old.count('logout'), 1);
    assert.equal(h.store.wipeCalls, 1);
    assert.equal(h.factory.clients.length, 2);
    assert.equal(h.factory.live().length, 1);
    // Idempotent, not stuck: a later clear runs again.
    await h.supervisor.clear();
    assert.equal(h.store.wipeCalls, 2);
    assert.equal(h.factory.clients.length, 3);
    assert.equal(h.factory.live().length, 1);
  });

  it('during starting with initialize() still pending: the old client is destroyed again once initialize settles', async () => {
    const h = createHarness({ configure: (c, i) => i === 0 && (c.initOutcome = 'manual') });
    const old = await h.start();
    const done = h.supervisor.clear();
    await flush();
    assert.equal(old.count('destroy'), 1);
    assert.equal(h.store.wipeCalls, 0, 'no wipe while a browser may still come up on the profile');
    assert.equal(h.factory.clients.length, 1);
    old.finishInitialize(); // the browser came up after our destroy
    await flush();
    assert.equal(old.count('destroy'), 2);
    assert.ok(h.guard.killLeftoversCalls >= 1);
    assert.ok(h.journal.indexOf('guard.killLeftovers') < h.journal.indexOf('store.wipe'));
    assert.deepEqual(await done, { loggedOut: false, wiped: true });
    assert.deepEqual(h.factory.live(), [h.factory.get(2)]);
  });

  it('during starting: an initialize() that settles only after the wait is still closed (never two browsers)', async () => {
    const h = createHarness({ configure: (c, i) => i === 0 && (c.initOutcome = 'manual') });
    const old = await h.start();
    const done = h.supervisor.clear();
    await h.clock.advance(10_000);
    await done;
    assert.equal(h.factory.clients.length, 2);
    old.finishInitialize(); // a slow Chromium finally launched, after we stopped waiting
    await flush();
    assert.deepEqual(
      h.factory.live().map((c) => c.id),
      [2],
      'the old browser that came up late must be closed, not left holding the profile',
    );
  });

  it('during reconnecting: the pending retry is cancelled (no extra client after the backoff)', async () => {
    const h = createHarness();
    const old = await h.pairFresh();
    browserDies(old);
    await flush();
    const result = await h.supervisor.clear();
    assert.deepEqual(result, { loggedOut: false, wiped: true });
    assert.equal(h.factory.clients.length, 2);
    assert.equal(h.snap().reconnectAttempt, 0);
    assert.equal(h.snap().nextRetryAt, null);
    await h.clock.advance(60_000);
    assert.equal(h.factory.clients.length, 2);
    assert.equal(h.factory.live().length, 1);
    h.factory.latest().qr();
    assert.equal(h.state(), 'qr');
  });

  it('while stopping → AppError SHUTTING_DOWN, nothing wiped', async () => {
    const h = createHarness();
    await h.pairFresh();
    const stopped = h.supervisor.stop();
    await assert.rejects(h.supervisor.clear(), (error: unknown) => error instanceof AppError && error.code === 'SHUTTING_DOWN');
    await stopped;
    await assert.rejects(h.supervisor.clear(), (error: unknown) => error instanceof AppError && error.code === 'SHUTTING_DOWN');
    assert.equal(h.store.wipeCalls, 0);
  });

  it('start() after an early clear() (HTTP is up before start) keeps a single browser', async () => {
    const h = createHarness();
    await h.supervisor.clear();
    await h.supervisor.start();
    await flush();
    assert.equal(
      h.factory.live().length,
      1,
      `live clients: ${h.factory
        .live()
        .map((c) => c.id)
        .join(', ')}`,
    );
  });

  it('a clear whose wipe fails rejects CLEAR_FAILED and does not leave the daemon idle claiming a QR follows', async () => {
    const h = createHarness();
    await h.pairFresh();
    h.store.wipeError = new Error('EBUSY: resource busy');
    await assert.rejects(h.supervisor.clear(), (error: unknown) => error instanceof AppError && error.code === 'CLEAR_FAILED');
    await flush();
    const snap = h.snap();
    const idle = h.factory.live().length === 0;
    assert.ok(
      !idle || (snap.lastError !== null && !/fresh QR follows/.test(snap.message)),
      `no browser runs, yet the status says "${snap.message}" (state ${snap.state}, lastError ${String(snap.lastError)})`,
    );
  });
});
