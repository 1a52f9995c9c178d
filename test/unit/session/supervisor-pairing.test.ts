import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionState } from '../../../src/session/session-state';
import { flush } from '../../support/fake-clock';
import { FakeMetadata } from '../../support/fake-session-ports';
import { createHarness, ME, PAIRED_AT } from '../../support/supervisor-harness';
import { PAIRED, browserDies } from '../../support/supervisor-helpers';

describe('SessionSupervisor: start and pairing', () => {
  it('start() prepares the profile and launches one client, staying in starting', async () => {
    const h = createHarness();
    const client = await h.start();
    assert.equal(h.state(), 'starting');
    assert.equal(h.guard.prepareCalls, 1);
    assert.equal(h.factory.clients.length, 1);
    assert.deepEqual(client.calls, ['initialize']);
    assert.ok(h.journal.indexOf('guard.prepare') < h.journal.indexOf('client#1.created'), 'profile cleaned before launch');
  });

  it('start() twice shares one start: one promise, one client', async () => {
    const h = createHarness();
    const first = h.supervisor.start();
    const second = h.supervisor.start();
    assert.equal(first, second);
    await Promise.all([first, second]);
    await h.supervisor.start();
    await flush();
    assert.equal(h.factory.clients.length, 1);
    assert.equal(h.guard.prepareCalls, 1);
  });

  it('a failing profile cleanup is logged and the launch goes ahead', async () => {
    const h = createHarness();
    h.guard.prepareError = new Error('EACCES');
    await h.start();
    assert.equal(h.factory.clients.length, 1);
    assert.equal(h.logger.find('warn', /clean the profile/).length, 1);
  });

  it('starting → qr on a qr event: payload, issuedAt, onQr, a waiting message', async () => {
    const h = createHarness();
    const client = await h.start();
    await h.clock.advance(1_500);
    client.qr('2@abc,def,ghi');
    const snap = h.snap();
    assert.equal(snap.state, 'qr');
    assert.equal(snap.qr?.payload, '2@abc,def,ghi');
    assert.equal(snap.qr?.issuedAt.getTime(), h.clock.now());
    assert.equal(snap.since.getTime(), h.clock.now());
    assert.equal(snap.sessionExpired, false);
    assert.match(snap.message, /scan/i);
    assert.deepEqual(h.qrs, [snap.qr]);
  });

  it('a refreshed QR replaces the payload and issuedAt but keeps since (same state)', async () => {
    const h = createHarness();
    const client = await h.start();
    client.qr('first');
    const since = h.snap().since.getTime();
    await h.clock.advance(20_000);
    client.qr('second');
    assert.equal(h.snap().qr?.payload, 'second');
    assert.equal(h.snap().qr?.issuedAt.getTime(), h.clock.now());
    assert.equal(h.snap().since.getTime(), since);
    assert.deepEqual(
      h.qrs.map((q) => q.payload),
      ['first', 'second'],
    );
  });

  it('a throwing onQr is logged and the state still moves to qr', async () => {
    const h = createHarness({
      onQr: () => {
        throw new Error('terminal too small');
      },
    });
    const client = await h.start();
    client.qr();
    assert.equal(h.state(), 'qr');
    assert.equal(h.logger.find('warn', /QR/).length, 1);
  });

  it('qr → authenticated drops the QR; authenticated → ready records who and when', async () => {
    const h = createHarness();
    const client = await h.start();
    client.qr();
    await h.clock.advance(5_000);
    client.authenticated();
    assert.equal(h.state(), 'authenticated');
    assert.equal(h.snap().qr, null);
    await h.clock.advance(5_000);
    client.ready({ id: '15559998888', name: 'Alice' });
    await flush();
    const now = new Date(h.clock.now()).toISOString();
    const snap = h.snap();
    assert.equal(snap.state, 'ready');
    assert.deepEqual(snap.me, { id: '15559998888', name: 'Alice' });
    assert.equal(snap.qr, null);
    assert.equal(snap.reconnectAttempt, 0);
    assert.match(snap.message, /Alice/);
    assert.equal(h.metadata.data.pairedAt, now);
    assert.equal(h.metadata.data.lastReadyAt, now);
    assert.deepEqual(h.metadata.data.me, { id: '15559998888', name: 'Alice' });
    assert.ok(h.store.refreshCalls >= 1, 'the on-disk picture is refreshed after pairing');
    assert.deepEqual(h.transitions, ['starting → qr', 'qr → authenticated', 'authenticated → ready']);
  });

  it('since is the time each state was entered', async () => {
    const h = createHarness();
    const client = await h.start();
    const times: Array<[SessionState, number]> = [];
    h.supervisor.subscribe((s) => times.push([s.state, s.since.getTime()]));
    await h.clock.advance(1_000);
    client.qr('a');
    const tQr = h.clock.now();
    await h.clock.advance(1_000);
    client.qr('b');
    await h.clock.advance(1_000);
    client.authenticated();
    const tAuth = h.clock.now();
    await h.clock.advance(1_000);
    client.ready(ME);
    const tReady = h.clock.now();
    await flush();
    assert.deepEqual(times, [
      ['qr', tQr],
      ['qr', tQr],
      ['authenticated', tAuth],
      ['ready', tReady],
    ]);
  });

  it('subscribers get every snapshot; a throwing listener does not stop the others; unsubscribe works', async () => {
    const h = createHarness();
    const seen: SessionState[] = [];
    h.supervisor.subscribe(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = h.supervisor.subscribe((s) => seen.push(s.state));
    const client = await h.pairFresh();
    assert.deepEqual(seen, ['starting', 'qr', 'authenticated', 'ready']);
    assert.ok(h.logger.find('warn', /listener failed/).length >= 4);
    assert.equal(h.state(), 'ready');
    unsubscribe();
    browserDies(client);
    assert.equal(seen.length, 4, 'no snapshot after unsubscribe');
  });

  it('snapshots are frozen', async () => {
    const h = createHarness();
    await h.pairFresh();
    assert.ok(Object.isFrozen(h.snap()));
  });
});

describe('SessionSupervisor: a saved session', () => {
  it('a restart with a paired session reaches ready with no QR, keeping pairedAt', async () => {
    const h = createHarness({ metadata: PAIRED });
    await h.start();
    await h.clock.advance(3_000);
    await h.loginLatest(null);
    assert.equal(h.state(), 'ready');
    assert.equal(h.qrs.length, 0);
    assert.deepEqual(h.snap().me, ME, 'me from the metadata when the client does not say');
    assert.equal(h.metadata.data.pairedAt, PAIRED_AT, 'pairedAt is when it was paired, not this start');
    assert.equal(h.metadata.data.lastReadyAt, new Date(h.clock.now()).toISOString());
    assert.deepEqual(h.transitions, ['starting → authenticated', 'authenticated → ready']);
  });

  it('snapshot.me comes from the metadata before the browser is up, even before start()', async () => {
    const h = createHarness({ metadata: PAIRED, configure: (c) => (c.initOutcome = 'hang') });
    assert.deepEqual(h.snap().me, ME, 'known from the first snapshot');
    await h.start();
    assert.equal(h.state(), 'starting');
    assert.deepEqual(h.snap().me, ME);
  });

  it('a QR although the metadata says paired: sessionExpired, an expired/revoked message, one warning, pairedAt cleared', async () => {
    const h = createHarness({ metadata: PAIRED });
    const client = await h.start();
    client.qr('new-1');
    await flush();
    const snap = h.snap();
    assert.equal(snap.state, 'qr');
    assert.equal(snap.sessionExpired, true);
    assert.match(snap.message, /expired|revoked/i);
    assert.equal(snap.me, null, 'nobody is paired any more');
    assert.equal(h.metadata.data.pairedAt, null);
    await h.clock.advance(20_000);
    client.qr('new-2');
    await flush();
    assert.equal(h.snap().sessionExpired, true, 'still expired on the refreshed QR');
    assert.equal(h.logger.find('warn', /expired|revoked/i).length, 1, 'warned once, not per QR');
    // Pairing again clears the flag.
    client.authenticated();
    client.ready(ME);
    await flush();
    assert.equal(h.snap().sessionExpired, false);
    assert.notEqual(h.metadata.data.pairedAt, null);
  });

  it('an expired session is forgotten entirely: after a restart the old account is not shown as paired', async () => {
    const metadata = new FakeMetadata(PAIRED);
    const first = createHarness({ metadata });
    (await first.start()).qr();
    await flush();
    await first.supervisor.stop();

    const second = createHarness({ metadata });
    await second.start();
    assert.equal(second.snap().me, null, 'status must not show the expired account as paired after a restart');
    second.factory.latest().qr();
    assert.equal(second.snap().me, null, 'the QR page must not show the expired account as paired');
  });
});
