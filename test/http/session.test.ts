import assert from 'node:assert/strict';
import type { SessionStatusBody } from '../../src/http/bodies';
import { after, before, describe, it } from 'node:test';
import { FakeSession, READY, WITH_QR } from '../support/fake-session';
import { bearer, startApp, type TestApp } from './support/start-app';

describe('GET /api/session/status', () => {
  const session = new FakeSession(READY);
  let app: TestApp;
  before(async () => {
    app = await startApp({ session });
  });
  after(() => app.close());

  async function status(): Promise<SessionStatusBody> {
    const res = await fetch(`${app.url}/api/session/status`, { headers: bearer() });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return (await res.json()) as SessionStatusBody;
  }

  it('describes the saved profile and the live session', async () => {
    const body = await status();
    assert.equal(body.exists, true);
    assert.equal(body.lastModified, '2025-01-01T10:00:00.000Z');
    assert.equal(body.size, 12_345_678);
    assert.equal(body.path, '/data/auth/session-test-bot');
    assert.equal(body.clientId, 'test-bot');
    assert.equal(body.state, 'ready');
    assert.equal(body.since, '2025-01-02T03:04:05.000Z');
    assert.deepEqual(body.me, READY.me);
    assert.equal(body.sessionExpired, false);
    assert.equal(body.checkedAt, '2025-01-02T03:00:00.000Z');
    assert.equal(body.message, 'Session saved on disk; connected as Sim Phone (+15550001111).');
  });

  it('says plainly when there is nothing on disk', async () => {
    app.inspector.info = { ...app.inspector.info, exists: false, lastModified: null, size: 0 };
    session.set({ ...WITH_QR, me: null });
    try {
      const body = await status();
      assert.equal(body.exists, false);
      assert.equal(body.message, 'No session on disk: scan the QR at /qr to pair.');
      assert.equal(body.hasQr, true);
      assert.equal(body.qrIssuedAt, '2025-01-02T03:05:00.000Z');
      assert.doesNotMatch(JSON.stringify(body), /SECRET/, 'status never carries the QR payload');
    } finally {
      app.inspector.info = { ...app.inspector.info, exists: true, lastModified: new Date('2025-01-01T10:00:00.000Z'), size: 12_345_678 };
    }
  });

  it('says when the saved session expired', async () => {
    session.set({ ...WITH_QR, sessionExpired: true });
    const body = await status();
    assert.equal(body.sessionExpired, true);
    assert.equal(body.message, 'A session was saved but WhatsApp no longer accepts it (expired or revoked on the phone): scan the new QR at /qr.');
  });
});

describe('DELETE /api/session/clear', () => {
  const session = new FakeSession(READY);
  let app: TestApp;
  before(async () => {
    app = await startApp({ session });
  });
  after(() => app.close());

  it('clears the session and says what happened', async () => {
    const res = await fetch(`${app.url}/api/session/clear`, { method: 'DELETE', headers: bearer() });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = (await res.json()) as { success: boolean; message: string };
    assert.equal(body.success, true);
    assert.match(body.message, /Logged out of WhatsApp; deleted the saved session\. A new QR will appear at \/qr/);
    assert.equal(session.clearCalls, 1);
  });

  it('waits for clear() to finish before answering', async () => {
    let finish: () => void = () => {};
    session.clearImpl = () =>
      new Promise((resolve) => {
        finish = () => resolve({ loggedOut: false, wiped: false });
      });
    let answered = false;
    const pending = fetch(`${app.url}/api/session/clear`, { method: 'DELETE', headers: bearer() }).then((res) => {
      answered = true;
      return res;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(answered, false);
    finish();
    const body = (await (await pending).json()) as { success: boolean; message: string };
    assert.equal(body.success, true);
    assert.match(body.message, /No live session to log out of; there was no saved session to delete/);
  });
});
