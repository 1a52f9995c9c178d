import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/errors';
import type { SessionState } from '../../../src/session/session-state';
import type { IncomingMessage, WaClientEvent } from '../../../src/whatsapp/wa-client';
import { flush } from '../../support/fake-clock';
import { deferred } from '../../support/deferred';
import { FakeMetadata } from '../../support/fake-session-ports';
import type { FakeWaClient } from '../../support/fake-wa-client';
import { createHarness, ME, PAIRED_AT, type Harness } from '../../support/supervisor-harness';

const PAIRED = { pairedAt: PAIRED_AT, me: ME, lastReadyAt: PAIRED_AT };

function browserDies(client: FakeWaClient): void {
  client.emit({ type: 'browser_disconnected' });
}

function incoming(body: string): IncomingMessage {
  const chatId = '15552223333@c.us';
  return { id: `false_${chatId}_${body}`, chatId, from: chatId, author: null, body, type: 'chat', timestamp: 1_700_000_000, isGroup: false, notifyName: null, hasMedia: false, fromMe: false, isStatus: false };
}

/** Delay from now until the announced retry. */
function retryDelay(h: Harness): number {
  const next = h.snap().nextRetryAt;
  assert.ok(next, 'reconnecting announces nextRetryAt');
  return next.getTime() - h.clock.now();
}

/** Advances to just before the retry (no new client), then onto it (a new client). */
async function expectRetryAfter(h: Harness, delay: number): Promise<FakeWaClient> {
  const before = h.factory.clients.length;
  await h.clock.advance(delay - 1);
  assert.equal(h.factory.clients.length, before, `no new client before the ${delay} ms backoff elapsed`);
  assert.equal(h.state(), 'reconnecting');
  await h.clock.advance(1);
  assert.equal(h.factory.clients.length, before + 1, `a new client once the ${delay} ms backoff elapsed`);
  assert.equal(h.state(), 'starting');
  return h.factory.latest();
}

/** Transitions DESIGN.md section 1 allows, plus the two every state has: operator clear and shutdown. */
const TABLE: Record<SessionState, readonly SessionState[]> = {
  starting: ['qr', 'authenticated', 'reconnecting', 'failed'],
  qr: ['authenticated', 'reconnecting'],
  authenticated: ['ready', 'reconnecting'],
  ready: ['reconnecting', 'logged_out'],
  reconnecting: ['starting'],
  logged_out: ['starting'],
  failed: [],
  stopping: [],
};

function assertTransitionsAllowed(h: Harness, operatorCleared = false): void {
  for (const edge of h.transitions) {
    const [from, to] = edge.split(' → ') as [SessionState, SessionState];
    const allowed = TABLE[from].includes(to) || to === 'stopping' || (operatorCleared && to === 'logged_out');
    assert.ok(allowed, `transition ${edge} is not in DESIGN.md's table (all: ${h.transitions.join(', ')})`);
  }
}

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

describe('SessionSupervisor: connection loss', () => {
  const causes: Array<[string, (client: FakeWaClient) => void]> = [
    ["disconnected('UNPAIRED')", (c) => c.disconnected('UNPAIRED')],
    ["disconnected('CONFLICT')", (c) => c.disconnected('CONFLICT')],
    ["disconnected('DEPRECATED_VERSION')", (c) => c.disconnected('DEPRECATED_VERSION')],
    ['the browser process dying (browser_disconnected)', browserDies],
  ];

  for (const [name, cause] of causes) {
    it(`${name} in ready → reconnecting with backoff, session kept, new client only after the delay`, async () => {
      const h = createHarness();
      const old = await h.pairFresh();
      const pairedAt = h.metadata.data.pairedAt;
      cause(old);
      assert.equal(h.state(), 'reconnecting');
      const snap = h.snap();
      assert.equal(snap.reconnectAttempt, 1);
      assert.equal(retryDelay(h), 5_000);
      assert.ok(snap.lastError);
      assert.match(snap.message, /session is kept/);
      assert.deepEqual(snap.me, ME, 'still paired as the same account');
      await flush();
      assert.ok(old.count('destroy') >= 1, 'the old browser is closed');
      assert.equal(old.count('logout'), 0);
      assert.equal(h.store.wipeCalls, 0, 'the session is kept');
      assert.equal(h.metadata.data.pairedAt, pairedAt);
      assert.equal(h.factory.live().length, 0);
      const next = await expectRetryAfter(h, 5_000);
      await h.loginLatest();
      assert.equal(h.state(), 'ready');
      assert.equal(next.count('initialize'), 1);
      assert.equal(h.qrs.length, 1, 'no second QR: the kept session logs in');
      assert.deepEqual(h.transitions.slice(3), ['ready → reconnecting', 'reconnecting → starting', 'starting → authenticated', 'authenticated → ready']);
      assertTransitionsAllowed(h);
    });
  }

  it('initialize() rejecting with "Target closed" → reconnecting (starting → reconnecting)', async () => {
    const h = createHarness({
      configure: (c, i) => {
        if (i === 0) c.initOutcome = { reject: new Error('Protocol error (Runtime.callFunctionOn): Target closed') };
      },
    });
    await h.start();
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /Target closed/);
    assert.equal(h.store.wipeCalls, 0);
    await expectRetryAfter(h, 5_000);
    assert.deepEqual(h.transitions, ['starting → reconnecting', 'reconnecting → starting']);
  });

  it('backoff doubles from 5 s and is capped at 30 s (random 0.5: no jitter)', async () => {
    const h = createHarness();
    await h.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      browserDies(h.factory.latest());
      assert.equal(h.snap().reconnectAttempt, i + 1);
      const delay = retryDelay(h);
      delays.push(delay);
      await expectRetryAfter(h, delay);
    }
    assert.deepEqual(delays, [5_000, 10_000, 20_000, 30_000, 30_000, 30_000]);
    assert.equal(h.factory.clients.length, 7);
    assert.equal(h.factory.live().length, 1);
  });

  for (const [random, expected] of [
    [0, [4_000, 8_000, 16_000, 24_000, 24_000]],
    [1, [6_000, 12_000, 24_000, 30_000, 30_000]],
  ] as const) {
    it(`jitter stays within ±20% and never above the cap (random → ${random})`, async () => {
      const h = createHarness({ random: () => random });
      await h.start();
      const delays: number[] = [];
      for (let i = 0; i < expected.length; i++) {
        browserDies(h.factory.latest());
        delays.push(retryDelay(h));
        await h.clock.advance(retryDelay(h));
      }
      assert.deepEqual(delays, expected);
    });
  }

  it('attempts reset after ready', async () => {
    const h = createHarness();
    await h.start();
    browserDies(h.factory.latest());
    await h.clock.advance(5_000);
    browserDies(h.factory.latest());
    assert.equal(h.snap().reconnectAttempt, 2);
    await h.clock.advance(10_000);
    await h.loginLatest();
    assert.equal(h.snap().reconnectAttempt, 0);
    assert.equal(h.snap().lastError, null);
    browserDies(h.factory.latest());
    assert.equal(h.snap().reconnectAttempt, 1);
    assert.equal(retryDelay(h), 5_000);
  });

  it('after maxAttempts → failed, the last browser closed, and no client ever again', async () => {
    const h = createHarness({ reconnect: { maxAttempts: 3 } });
    await h.start();
    for (let attempt = 1; attempt <= 3; attempt++) {
      browserDies(h.factory.latest());
      assert.equal(h.state(), 'reconnecting');
      assert.equal(h.snap().reconnectAttempt, attempt);
      await h.clock.advance(retryDelay(h));
    }
    assert.equal(h.factory.clients.length, 4);
    browserDies(h.factory.latest());
    assert.equal(h.state(), 'failed');
    assert.match(h.snap().message, /Restart the process/i);
    assert.ok(h.snap().lastError);
    assert.equal(h.snap().nextRetryAt, null);
    await h.clock.advance(3_600_000);
    assert.equal(h.factory.clients.length, 4);
    assert.equal(h.factory.live().length, 0, 'the last browser is closed too');
    assert.equal(h.state(), 'failed');
    assert.equal(h.logger.find('error', /Giving up/).length, 1);
    assert.ok(h.transitions.includes('starting → failed'));
    assertTransitionsAllowed(h);
  });

  it('maxAttempts 0 never gives up', async () => {
    const h = createHarness({ reconnect: { maxAttempts: 0 } });
    await h.start();
    for (let attempt = 1; attempt <= 25; attempt++) {
      browserDies(h.factory.latest());
      assert.equal(h.state(), 'reconnecting');
      assert.equal(h.snap().reconnectAttempt, attempt);
      await h.clock.advance(retryDelay(h));
    }
    assert.equal(h.factory.clients.length, 26);
    assert.equal(h.state(), 'starting');
  });

  it('a client factory that throws (no browser, bad options) → failed without retrying', async () => {
    const h = createHarness();
    h.factory.throwOnCreate = new Error('Browser was not found at /nope');
    await h.supervisor.start();
    await flush();
    assert.equal(h.state(), 'failed');
    assert.match(h.snap().message, /Browser was not found/);
    await h.clock.advance(600_000);
    assert.equal(h.state(), 'failed');
    assert.deepEqual(h.transitions, ['starting → failed']);
  });

  it('initialize() rejecting WEB_VERSION_UNAVAILABLE (a pinned build not cached) → failed, browser closed, no retry', async () => {
    const message = 'WEB_VERSION=2.3000.1 is not in WEB_CACHE_PATH';
    const h = createHarness({ configure: (c) => (c.initOutcome = { reject: new AppError('WEB_VERSION_UNAVAILABLE', message) }) });
    const client = await h.start();
    await flush();
    assert.equal(h.state(), 'failed');
    assert.equal(h.snap().message, message);
    assert.equal(client.count('destroy'), 1, 'the browser it launched is closed');
    await h.clock.advance(600_000);
    assert.equal(h.factory.clients.length, 1, 'no retry');
    assert.deepEqual(h.transitions, ['starting → failed']);
  });
});

describe('SessionSupervisor: watchdog', () => {
  it('probes getState() every watchdogIntervalMs while ready; answers keep it ready', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    assert.equal(client.count('getState'), 0);
    await h.clock.advance(29_999);
    assert.equal(client.count('getState'), 0);
    await h.clock.advance(1);
    assert.equal(client.count('getState'), 1);
    await h.clock.advance(30_000);
    assert.equal(client.count('getState'), 2);
    await h.clock.advance(60_000);
    assert.equal(client.count('getState'), 4);
    assert.equal(h.state(), 'ready');
  });

  it("probes while showing a QR too: 'UNPAIRED' (the page before login) is fine, a hang is not", async () => {
    const h = createHarness();
    const client = await h.start();
    client.stateAnswer = 'UNPAIRED';
    client.qr();
    client.qr('second-qr');
    await h.clock.advance(30_000);
    assert.equal(client.count('getState'), 1, 'armed once, not re-armed by every QR');
    assert.equal(h.state(), 'qr');
    await h.clock.advance(3 * 30_000);
    assert.equal(client.count('getState'), 4, 'UNPAIRED answers keep the probe going');
    assert.equal(h.state(), 'qr');
    assert.deepEqual(h.transitions, ['starting → qr']);
    client.stateAnswer = 'hang';
    await h.clock.advance(30_000 + 10_000);
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /stopped answering/);
  });

  it('does not probe while starting, authenticated or reconnecting', async () => {
    const h = createHarness();
    const client = await h.start();
    await h.clock.advance(60_000);
    assert.equal(client.count('getState'), 0, 'starting');
    client.emit({ type: 'authenticated' });
    await h.clock.advance(60_000);
    assert.equal(client.count('getState'), 0, 'authenticated');
  });

  it('a getState() that hangs longer than watchdogTimeoutMs → reconnecting', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.stateAnswer = 'hang';
    await h.clock.advance(30_000);
    assert.equal(client.count('getState'), 1);
    await h.clock.advance(9_999);
    assert.equal(h.state(), 'ready');
    await h.clock.advance(1);
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /stopped answering/);
    assert.equal(h.store.wipeCalls, 0);
  });

  it('a getState() that rejects → reconnecting', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.stateAnswer = { reject: new Error('Execution context was destroyed') };
    await h.clock.advance(30_000);
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /Execution context was destroyed/);
  });

  it('a getState() of null (the page has no socket state) → reconnecting', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.stateAnswer = null;
    await h.clock.advance(30_000);
    assert.equal(h.state(), 'reconnecting');
  });
});

describe('SessionSupervisor: launch timeouts', () => {
  it('no QR and no login within startMs → reconnecting', async () => {
    const h = createHarness();
    await h.start();
    await h.clock.advance(119_999);
    assert.equal(h.state(), 'starting');
    await h.clock.advance(1);
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /120000 ms/);
    await flush();
    assert.ok(h.factory.get(1).count('destroy') >= 1);
  });

  it('a QR stops the start timeout', async () => {
    const h = createHarness();
    const client = await h.start();
    await h.clock.advance(60_000);
    client.qr();
    await h.clock.advance(600_000);
    assert.equal(h.state(), 'qr');
  });

  it('authenticated but never ready → reconnecting after readyMs; the next client reaches ready', async () => {
    const h = createHarness({ metadata: PAIRED });
    const stuck = await h.start();
    stuck.authenticated();
    await h.clock.advance(89_999);
    assert.equal(h.state(), 'authenticated');
    await h.clock.advance(1);
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /not ready/);
    await expectRetryAfter(h, 5_000);
    await h.loginLatest();
    assert.equal(h.state(), 'ready');
    assert.deepEqual(h.factory.live(), [h.factory.get(2)]);
    assert.ok(h.transitions.includes('authenticated → reconnecting'));
    assertTransitionsAllowed(h);
  });
});

describe('SessionSupervisor: retired clients', () => {
  it('events from a replaced client are ignored', async () => {
    const h = createHarness();
    const old = await h.pairFresh();
    browserDies(old);
    old.ready(ME);
    old.authenticated();
    assert.equal(h.state(), 'reconnecting');
    await h.clock.advance(5_000);
    assert.equal(h.state(), 'starting');
    const events: WaClientEvent[] = [
      { type: 'qr', payload: 'stale' },
      { type: 'ready', me: ME },
      { type: 'disconnected', reason: 'LOGOUT' },
      { type: 'browser_disconnected' },
      { type: 'internal_error', error: new Error('Target closed') },
    ];
    for (const event of events) old.emit(event);
    await flush();
    assert.equal(h.state(), 'starting');
    assert.equal(h.qrs.length, 1);
    assert.equal(h.store.wipeCalls, 0);
    assert.equal(h.factory.clients.length, 2);
    assert.equal(old.count('getState'), 0);
    assert.equal(h.snap().reconnectAttempt, 1);
  });

  it('a late initialize() rejection from a replaced client is ignored', async () => {
    const h = createHarness({ configure: (c, i) => i === 0 && (c.initOutcome = 'manual') });
    const old = await h.start();
    old.qr();
    const done = h.supervisor.clear();
    await flush();
    old.failInitialize(new Error('Target closed'));
    await done;
    assert.equal(h.factory.clients.length, 2);
    h.factory.latest().qr();
    assert.equal(h.state(), 'qr');
  });
});

describe('SessionSupervisor: messages', () => {
  it('are delivered only in ready, and never from a retired client', async () => {
    const h = createHarness();
    const client = await h.start();
    client.message(incoming('!ping in starting'));
    client.qr();
    client.message(incoming('!ping in qr'));
    client.authenticated();
    client.message(incoming('!ping in authenticated'));
    client.ready(ME);
    const delivered = incoming('!ping in ready');
    client.message(delivered);
    assert.deepEqual(h.messages, [delivered]);
    browserDies(client);
    client.message(incoming('!ping from a retired client'));
    await h.clock.advance(5_000);
    await h.loginLatest();
    client.message(incoming('!ping from a retired client, new one ready'));
    const fresh = incoming('!ping from the new client');
    h.factory.latest().message(fresh);
    assert.deepEqual(h.messages, [delivered, fresh]);
  });
});

describe('SessionSupervisor: undecryptable messages', () => {
  it('are counted and logged with their id, never delivered, and change no state', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    assert.equal(h.supervisor.counters().undecryptableMessages, 0);
    client.emit({ type: 'message_undecryptable', id: 'false_15552223333@c.us_AAA', chatId: '15552223333@c.us' });
    client.emit({ type: 'message_undecryptable', id: 'false_15552223333@c.us_BBB', chatId: '15552223333@c.us' });
    assert.equal(h.supervisor.counters().undecryptableMessages, 2);
    const warnings = h.logger.find('warn', /could not be decrypted/);
    assert.equal(warnings.length, 2);
    assert.equal(warnings[0]?.meta?.messageId, 'false_15552223333@c.us_AAA');
    assert.equal(h.messages.length, 0);
    assert.equal(h.state(), 'ready');
  });
});

describe('SessionSupervisor: errors from inside the library', () => {
  it('an internal_error while ready probes the page at once', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.emit({ type: 'internal_error', error: new Error('auth timeout') });
    assert.equal(client.count('getState'), 1, 'probed without waiting for the interval');
    await flush();
    assert.equal(h.state(), 'ready');
    client.stateAnswer = { reject: new Error('Target closed') };
    client.emit({ type: 'internal_error', error: new Error('Target closed') });
    await flush();
    assert.equal(h.state(), 'reconnecting');
  });

  it('an internal_error while starting is logged, no probe, no state change', async () => {
    const h = createHarness();
    const client = await h.start();
    client.emit({ type: 'internal_error', error: new Error('Target closed') });
    await flush();
    assert.equal(client.count('getState'), 0);
    assert.equal(h.state(), 'starting');
    assert.equal(h.logger.find('warn', /own page handler/).length, 1);
  });

  it('an internal_error while showing a QR probes the page at once', async () => {
    const h = createHarness();
    const client = await h.start();
    client.stateAnswer = null;
    client.qr();
    client.emit({ type: 'internal_error', error: new Error('Target closed') });
    await flush();
    assert.equal(client.count('getState'), 1);
    assert.equal(h.state(), 'qr');
  });

  it('reportStrayError with "Target closed" in ready probes now; a dead page → reconnecting', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    h.supervisor.reportStrayError(new Error('Protocol error (Runtime.callFunctionOn): Target closed.'));
    assert.equal(client.count('getState'), 1);
    await flush();
    assert.equal(h.state(), 'ready', 'the page answered: still ready');
    client.stateAnswer = 'hang';
    h.supervisor.reportStrayError('Target closed');
    await h.clock.advance(10_000);
    assert.equal(h.state(), 'reconnecting');
  });

  it('reportStrayError with an unrelated error is logged and changes nothing', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    const before = h.snap();
    h.supervisor.reportStrayError(new TypeError("Cannot read properties of undefined (reading 'id')"));
    await flush();
    assert.equal(client.count('getState'), 0);
    assert.equal(h.snap(), before);
    assert.equal(h.logger.find('error', /Unexpected error/).length, 1);
  });
});

describe('SessionSupervisor: clear()', () => {
  it('from ready: logout, destroy, wipe, metadata cleared, new client → qr', async () => {
    const h = createHarness();
    const old = await h.pairFresh();
    const result = await h.supervisor.clear();
    assert.deepEqual(result, { loggedOut: true, wiped: true });
    assert.equal(old.count('logout'), 1);
    assert.ok(old.count('destroy') >= 1);
    const order = ['client#1.logout', 'client#1.destroy', 'store.wipe', 'client#2.created'].map((e) => h.journal.indexOf(e));
    assert.deepEqual([...order].sort((a, b) => a - b), order, `order: ${h.journal.entries.join(', ')}`);
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
    assert.equal(h.factory.live().length, 1, `live clients: ${h.factory.live().map((c) => c.id).join(', ')}`);
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

describe('SessionSupervisor: stop()', () => {
  it('from ready: stopping, destroy (never logout), leftovers killed, session kept', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    await h.supervisor.stop();
    assert.equal(h.state(), 'stopping');
    assert.ok(client.count('destroy') >= 1);
    assert.equal(client.count('logout'), 0, 'restart never unpairs');
    assert.ok(h.guard.killLeftoversCalls >= 1);
    assert.equal(h.store.wipeCalls, 0);
    assert.notEqual(h.metadata.data.pairedAt, null);
    assert.equal(h.factory.live().length, 0);
    client.disconnected('LOGOUT');
    await h.clock.advance(600_000);
    assert.equal(h.factory.clients.length, 1);
    assert.equal(h.state(), 'stopping');
    assertTransitionsAllowed(h);
  });

  it('during reconnecting: the pending retry never launches a client', async () => {
    const h = createHarness();
    browserDies(await h.start());
    await flush();
    const kills = h.guard.killLeftoversCalls;
    await h.supervisor.stop();
    assert.equal(h.guard.killLeftoversCalls, kills + 1, 'with no client in hand, stop still ends any Chromium left on the profile');
    await h.clock.advance(600_000);
    assert.equal(h.factory.clients.length, 1);
    assert.equal(h.state(), 'stopping');
  });

  it('a launch queued before stop() never creates its client', async () => {
    const h = createHarness();
    const gate = deferred();
    browserDies(await h.start());
    await flush();
    h.guard.prepareGate = gate.promise;
    await h.clock.advance(5_000); // the retry fires; its launch waits in prepare()
    assert.equal(h.guard.prepareCalls, 2);
    const stopped = h.supervisor.stop();
    gate.resolve();
    await stopped;
    await h.clock.advance(600_000);
    assert.equal(h.factory.clients.length, 1);
  });

  it('stop() right after start() (before the launch ran) creates no client', async () => {
    const h = createHarness();
    void h.supervisor.start();
    await h.supervisor.stop();
    await h.clock.advance(600_000);
    assert.equal(h.factory.clients.length, 0);
    assert.equal(h.state(), 'stopping', 'the queued launch does not move the state back to starting');
    assert.deepEqual(h.transitions, ['starting → stopping']);
  });

  it('stop() twice is one teardown', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    const first = h.supervisor.stop();
    const second = h.supervisor.stop();
    assert.equal(first, second);
    await first;
    const destroys = client.count('destroy');
    const kills = h.guard.killLeftoversCalls;
    await h.supervisor.stop();
    assert.equal(client.count('destroy'), destroys);
    assert.equal(h.guard.killLeftoversCalls, kills);
    assert.equal(h.transitions.filter((t) => t.endsWith('→ stopping')).length, 1);
  });

  it('a hanging destroy() does not hold stop() forever; leftovers are killed', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.destroyOutcome = 'hang';
    let stopped = false;
    void h.supervisor.stop().then(() => (stopped = true));
    await flush();
    assert.equal(stopped, false);
    await h.clock.advance(30_000);
    assert.equal(stopped, true);
    assert.ok(h.guard.killLeftoversCalls >= 1);
    assert.equal(h.factory.live().length, 0);
  });

  it('a hanging destroy() still lets stop() finish within timeouts.shutdownMs (before the hard exit)', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.destroyOutcome = 'hang';
    let stopped = false;
    void h.supervisor.stop().then(() => (stopped = true));
    await h.clock.advance(h.config.timeouts.shutdownMs - 1);
    assert.equal(stopped, true, `stop() still running after ${h.config.timeouts.shutdownMs - 1} ms; destroy() called ${client.count('destroy')} times`);
    assert.equal(h.factory.live().length, 0);
  });
});

describe('SessionSupervisor: the transition table of DESIGN.md', () => {
  const scenarios: Array<[string, (h: Harness) => Promise<void>]> = [
    ['starting → qr', async (h) => (await h.start()).qr()],
    ['starting → authenticated', async (h) => (await h.start()).authenticated()],
    [
      'starting → reconnecting',
      async (h) => {
        await h.start();
        await h.clock.advance(h.config.timeouts.startMs);
      },
    ],
    [
      'starting → failed',
      async (h) => {
        h.factory.throwOnCreate = new Error('no browser');
        await h.supervisor.start();
      },
    ],
    [
      'qr → authenticated',
      async (h) => {
        const c = await h.start();
        c.qr();
        c.authenticated();
      },
    ],
    [
      'qr → reconnecting',
      async (h) => {
        const c = await h.start();
        c.qr();
        browserDies(c);
      },
    ],
    ['authenticated → ready', async (h) => void (await h.pairFresh())],
    [
      'authenticated → reconnecting',
      async (h) => {
        (await h.start()).authenticated();
        await h.clock.advance(h.config.timeouts.readyMs);
      },
    ],
    ['ready → reconnecting', async (h) => browserDies(await h.pairFresh())],
    ['ready → logged_out', async (h) => (await h.pairFresh()).disconnected('LOGOUT')],
    [
      'reconnecting → starting',
      async (h) => {
        browserDies(await h.start());
        await h.clock.advance(5_000);
      },
    ],
    [
      'logged_out → starting',
      async (h) => {
        (await h.pairFresh()).disconnected('LOGOUT');
        await flush();
      },
    ],
  ];

  for (const [edge, run] of scenarios) {
    it(edge, async () => {
      const h = createHarness();
      await run(h);
      await flush();
      assert.ok(h.transitions.includes(edge), `expected ${edge}; saw ${h.transitions.join(', ')}`);
      assertTransitionsAllowed(h);
    });
  }

  for (const state of ['starting', 'qr', 'authenticated', 'ready', 'reconnecting', 'logged_out', 'failed'] as const) {
    it(`${state} → stopping on stop()`, async () => {
      const h = createHarness({ reconnect: { maxAttempts: 1 } });
      const c = await h.start();
      if (state === 'qr') c.qr();
      if (state === 'authenticated') c.authenticated();
      if (state === 'ready') await h.loginLatest();
      if (state === 'reconnecting') browserDies(c);
      if (state === 'logged_out') {
        await h.loginLatest();
        h.factory.latest().disconnected('LOGOUT');
      }
      if (state === 'failed') {
        browserDies(c);
        await h.clock.advance(5_000);
        browserDies(h.factory.latest());
      }
      assert.equal(h.state(), state);
      await h.supervisor.stop();
      assert.equal(h.state(), 'stopping');
      await h.clock.advance(600_000);
      assert.equal(h.state(), 'stopping', 'nothing leaves stopping');
      assert.equal(h.factory.live().length, 0);
    });
  }

  it('failed is final: time passing and stray errors do not move it', async () => {
    const h = createHarness({ reconnect: { maxAttempts: 1 } });
    browserDies(await h.start());
    await h.clock.advance(5_000);
    browserDies(h.factory.latest());
    assert.equal(h.state(), 'failed');
    h.supervisor.reportStrayError(new Error('Target closed'));
    await h.clock.advance(3_600_000);
    assert.equal(h.state(), 'failed');
  });
});

describe('SessionSupervisor: memory watchdog', () => {
  const MB = 1024 * 1024;

  it('over BROWSER_MEMORY_LIMIT_MB: restarts the browser keeping the session', async () => {
    let used = 300 * MB;
    const h = createHarness({ browserMemoryLimitMb: 400, browserMemory: async () => used });
    const client = await h.pairFresh();
    await h.clock.advance(30_000);
    assert.equal(h.state(), 'ready', 'under the limit');
    used = 450 * MB;
    await h.clock.advance(30_000);
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /450 MB, over BROWSER_MEMORY_LIMIT_MB=400/);
    assert.equal(client.count('logout'), 0);
    assert.equal(h.store.wipeCalls, 0, 'the session is kept');
    assert.ok(client.count('destroy') >= 1);
  });

  it('limit 0 never measures', async () => {
    let measured = 0;
    const h = createHarness({
      browserMemoryLimitMb: 0,
      browserMemory: async () => {
        measured++;
        return 10_000 * MB;
      },
    });
    await h.pairFresh();
    await h.clock.advance(120_000);
    assert.equal(measured, 0);
    assert.equal(h.state(), 'ready');
  });
});
