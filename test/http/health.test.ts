import assert from 'node:assert/strict';
import type { HealthBody } from '../../src/http/bodies';
import { after, before, describe, it } from 'node:test';
import type { SessionState } from '../../src/session/session-state';
import { FakeSession, READY } from '../support/fake-session';
import { basic, bearer, startApp, type TestApp } from './support/start-app';

const EXPECTED: ReadonlyArray<[SessionState, number, 'pass' | 'warn' | 'fail', boolean]> = [
  ['starting', 200, 'warn', false],
  ['qr', 200, 'warn', false],
  ['authenticated', 200, 'warn', true],
  ['ready', 200, 'pass', true],
  ['reconnecting', 200, 'warn', false],
  ['logged_out', 200, 'warn', false],
  ['failed', 503, 'fail', false],
  ['stopping', 503, 'fail', false],
];

async function health(app: TestApp, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}/api/health`, { headers });
  return { res, body: (await res.json()) as HealthBody };
}

describe('GET /api/health', () => {
  const session = new FakeSession();
  let app: TestApp;
  let shuttingDown = false;
  before(async () => {
    app = await startApp({ session, overrides: { isShuttingDown: () => shuttingDown } });
  });
  after(() => app.close());

  for (const [state, code, status, authenticated] of EXPECTED) {
    it(`${state}: ${code} ${status}`, async () => {
      session.set({ state });
      const { res, body } = await health(app);
      assert.equal(res.status, code);
      assert.deepEqual(body, { status, whatsapp: state, authenticated });
    });
  }

  it('is application/health+json and never cached', async () => {
    session.set({ state: 'ready' });
    const { res } = await health(app);
    assert.match(res.headers.get('content-type') ?? '', /^application\/health\+json/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('fails with 503 while shutting down, whatever the state', async () => {
    session.set({ state: 'ready' });
    shuttingDown = true;
    try {
      const { res, body } = await health(app);
      assert.equal(res.status, 503);
      assert.equal(body.status, 'fail');
      assert.equal(body.whatsapp, 'ready');
    } finally {
      shuttingDown = false;
    }
  });

  it('gives the detail to authorized callers only', async () => {
    session.set({ ...READY });
    await app.stores.outbox.accept({ chatId: '15550001111@c.us', text: 'waiting', replyTo: null }, 'api');
    await app.stores.backlog.refresh();
    for (const headers of [bearer(), basic()]) {
      const { res, body } = await health(app, headers);
      assert.equal(res.status, 200);
      assert.equal(body.status, 'pass');
      assert.equal(body.since, '2025-01-02T03:04:05.000Z');
      assert.equal(body.stateMessage, READY.message);
      assert.deepEqual(body.me, READY.me);
      assert.deepEqual(body.session, {
        exists: true,
        info: {
          exists: true,
          lastModified: '2025-01-01T10:00:00.000Z',
          size: 12_345_678,
          path: '/data/auth/session-test-bot',
        },
        authPath: '/data/auth',
        clientId: 'test-bot',
      });
      assert.equal(body.backlog?.outbox.queued, 1, 'the sender is one message behind');
      assert.equal(body.backlog?.webhooks.dead, 0);
      assert.equal(body.backlog?.checkedAt, '2025-01-02T04:00:00.000Z');
      assert.deepEqual(body.webhooks, { urls: 1, events: ['message', 'message.status', 'session.status'] });
    }
    for (const headers of [{}, bearer('wrong'), basic('wrong')]) {
      const { res, body } = await health(app, headers);
      assert.equal(res.status, 200, 'optional auth: a wrong token is not a 401 here');
      assert.equal(res.headers.get('www-authenticate'), null);
      assert.deepEqual(Object.keys(body).sort(), ['authenticated', 'status', 'whatsapp']);
    }
  });

  it('reads only the cached disk picture, and answers in milliseconds', async () => {
    // FakeInspector.refresh() throws: a request that walked the disk would fail here.
    const before = app.inspector.currentCalls;
    const started = performance.now();
    for (let i = 0; i < 20; i += 1) {
      const { res } = await health(app, bearer());
      assert.equal(res.status, 200);
    }
    const perRequestMs = (performance.now() - started) / 20;
    assert.equal(app.inspector.currentCalls - before, 20);
    assert.ok(perRequestMs < 250, `health took ${perRequestMs.toFixed(1)} ms per request`);
  });
});

describe('GET /api/health without ADMIN_TOKEN', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ adminToken: null, session: new FakeSession(READY) });
  });
  after(() => app.close());

  it('gives loopback callers the detail', async () => {
    const { body } = await health(app);
    assert.equal(body.session?.clientId, 'test-bot');
  });
});
