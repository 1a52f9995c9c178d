import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CODE, FakeSession, QR_PAYLOAD, READY, WITH_CODE, WITH_QR } from '../support/fake-session';
import { bearer, startApp, type TestApp } from './support/start-app';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('GET /api/qr and /api/qr.png', () => {
  const session = new FakeSession({ state: 'starting' });
  let app: TestApp;
  before(async () => {
    app = await startApp({ session });
  });
  after(() => app.close());

  it('404 NO_QR with the state when there is no QR', async () => {
    for (const state of ['starting', 'ready', 'reconnecting'] as const) {
      session.set(state === 'ready' ? { ...READY, qr: null } : { state, qr: null });
      for (const path of ['/api/qr', '/api/qr.png']) {
        const res = await fetch(app.url + path, { headers: bearer() });
        assert.equal(res.status, 404, `${path} in ${state}`);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'NO_QR');
        assert.match(body.error.message, new RegExp(`^No QR right now: the session is ${state}\\. \\S`));
      }
    }
  });

  it('the QR as JSON when there is one', async () => {
    session.set(WITH_QR);
    const res = await fetch(`${app.url}/api/qr`, { headers: bearer() });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), {
      state: 'qr',
      method: 'qr',
      qr: QR_PAYLOAD,
      code: null,
      phoneNumber: null,
      issuedAt: '2025-01-02T03:05:00.000Z',
      expiresAt: null,
    });
  });

  it('the pairing code as JSON, with its number, issue time and expiry; no PNG for it', async () => {
    session.set(WITH_CODE);
    const res = await fetch(`${app.url}/api/qr`, { headers: bearer() });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), {
      state: 'qr',
      method: 'code',
      qr: null,
      code: CODE,
      phoneNumber: '15550001111',
      issuedAt: '2025-01-02T03:05:00.000Z',
      expiresAt: '2025-01-02T03:08:00.000Z',
    });
    const png = await fetch(`${app.url}/api/qr.png`, { headers: bearer() });
    assert.equal(png.status, 404);
    assert.match(((await png.json()) as { error: { message: string } }).error.message, /pairing is by code/);
  });

  it('pairing by code with no code on show: 404 saying why (the message of the state)', async () => {
    session.set({ ...WITH_CODE, code: null, message: 'Pairing codes paused after 5 unused ones.' });
    const res = await fetch(`${app.url}/api/qr`, { headers: bearer() });
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'NO_QR');
    assert.match(body.error.message, /No pairing code right now.*paused after 5/);
  });

  it('the QR as an uncached PNG', async () => {
    session.set(WITH_QR);
    const res = await fetch(`${app.url}/api/qr.png`, { headers: bearer() });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const png = Buffer.from(await res.arrayBuffer());
    assert.deepEqual(png.subarray(0, 8), PNG_MAGIC);
    // IHDR: width and height at bytes 16..24, 320 x 320 as asked.
    assert.equal(png.readUInt32BE(16), 320);
    assert.equal(png.readUInt32BE(20), 320);
  });

  it('a new QR gives a new image', async () => {
    session.set(WITH_QR);
    const first = Buffer.from(await (await fetch(`${app.url}/api/qr.png`, { headers: bearer() })).arrayBuffer());
    session.set({ qr: { payload: 'another-payload', issuedAt: new Date('2025-01-02T03:05:20.000Z') } });
    const second = Buffer.from(await (await fetch(`${app.url}/api/qr.png`, { headers: bearer() })).arrayBuffer());
    assert.notDeepEqual(first, second);
  });

  it('never logs the QR payload', () => {
    assert.doesNotMatch(app.logger.text(), /SECRET|another-payload/);
  });
});
