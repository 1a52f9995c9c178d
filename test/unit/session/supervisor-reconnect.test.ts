import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/common/errors';
import { flush } from '../../support/fake-clock';
import type { FakeWaClient } from '../../support/fake-wa-client';
import { createHarness, ME } from '../../support/supervisor-harness';
import { PAIRED, browserDies, retryDelay, expectRetryAfter, assertTransitionsAllowed } from '../../support/supervisor-helpers';

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
      assert.deepEqual(h.transitions.slice(3), [
        'ready → reconnecting',
        'reconnecting → starting',
        'starting → authenticated',
        'authenticated → ready',
      ]);
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

  it('authenticated-never-ready again and again counts every attempt and ends in failed (a login is not a ready)', async () => {
    const h = createHarness({ metadata: PAIRED, reconnect: { maxAttempts: 3 } });
    await h.start();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      h.factory.latest().authenticated();
      await h.clock.advance(90_000);
      assert.equal(h.state(), 'reconnecting');
      assert.equal(h.snap().reconnectAttempt, attempt, 'the attempt counter grows across logins that never get ready');
      delays.push(retryDelay(h));
      await h.clock.advance(retryDelay(h));
    }
    assert.deepEqual(delays, [5_000, 10_000, 20_000], 'the backoff grows too');
    h.factory.latest().authenticated();
    await h.clock.advance(90_000);
    assert.equal(h.state(), 'failed');
    assert.match(h.snap().message, /Gave up after 3 reconnect attempts/);
    await h.clock.advance(3_600_000);
    assert.equal(h.factory.clients.length, 4, 'no client after giving up');
  });
});
