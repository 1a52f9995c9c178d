// POST and DELETE /api/session/pairing-code: admin only, a validated number, 202 with what follows,
// and the session's refusals (linked, not waiting, too many attempts) as clear errors.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { AppError } from '../../src/common/errors';
import { FakeSession, READY, WITH_CODE, WITH_QR } from '../support/fake-session';
import { bearer, startApp, type TestApp } from './support/start-app';

const API_TOKEN = 'api-token-0123456789abcdef0000';

describe('/api/session/pairing-code', () => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  async function post(
    body: unknown,
    headers: Record<string, string> = bearer(),
  ): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null }> {
    assert.ok(app);
    const res = await fetch(`${app.url}/api/session/pairing-code`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, retryAfter: res.headers.get('retry-after') };
  }

  it('POST with a number: normalized, handed to the session, 202 saying what follows', async () => {
    const session = new FakeSession(WITH_QR);
    app = await startApp({ session });
    const res = await post({ phoneNumber: '+1 555-000 1111' });
    assert.equal(res.status, 202);
    assert.deepEqual(session.codeRequests, ['15550001111']);
    assert.deepEqual(res.body.pairing, { method: 'code', phoneNumber: '15550001111' });
    assert.match(String(res.body.message), /the code follows/);
    assert.ok(app.logger.lines.some((l) => /Pairing code requested over HTTP for \+15550001111/.test(l.message)));
  });

  it('bad input: a clear 400 and nothing asked', async () => {
    const session = new FakeSession(WITH_QR);
    app = await startApp({ session });
    for (const [body, code] of [
      [{}, 'INVALID_PHONE_NUMBER'],
      [{ phoneNumber: '0123' }, 'INVALID_PHONE_NUMBER'],
      [{ phoneNumber: 15550001111 }, 'INVALID_PHONE_NUMBER'],
      [{ phoneNumber: '15550001111', extra: 1 }, 'UNKNOWN_FIELD'],
      [['15550001111'], 'BAD_REQUEST'],
    ] as const) {
      const res = await post(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal((res.body.error as { code: string }).code, code);
      assert.match((res.body.error as { message: string }).message, /country code|phoneNumber/);
    }
    assert.deepEqual(session.codeRequests, []);
  });

  it("the session's refusals: 409 for a linked account or one not waiting, 429 with Retry-After after too many attempts", async () => {
    const session = new FakeSession(READY);
    app = await startApp({ session });
    session.codeImpl = async () => {
      throw new AppError('ALREADY_PAIRED', 'The session is ready: a code is never asked for a linked account.');
    };
    const linked = await post({ phoneNumber: '15550001111' });
    assert.equal(linked.status, 409);
    assert.equal((linked.body.error as { code: string }).code, 'ALREADY_PAIRED');

    session.set({ ...WITH_CODE, code: null, pairing: { method: 'code', phoneNumber: '15550001111', retryAt: new Date(app.clock.now() + 90_000) } });
    const before = session.codeRequests.length;
    const tooMany = await post({ phoneNumber: '15550001111' });
    assert.equal(tooMany.status, 429);
    assert.equal(tooMany.retryAfter, '90');
    assert.equal(session.codeRequests.length, before, 'the session was not even asked');

    // The refusal comes in while the request waits: the session refuses, with the same wait.
    session.set({ ...WITH_CODE, code: null, pairing: { method: 'code', phoneNumber: '15550001111', retryAt: null } });
    session.codeImpl = async () => {
      session.set({
        ...WITH_CODE,
        code: null,
        pairing: { method: 'code', phoneNumber: '15550001111', retryAt: new Date(app!.clock.now() + 30_000) },
      });
      throw new AppError('TOO_MANY_ATTEMPTS', 'WhatsApp refused the last pairing code: too many attempts.');
    };
    const late = await post({ phoneNumber: '15550001111' });
    assert.deepEqual([late.status, late.retryAfter], [429, '30']);
  });

  it('admin only: no token 401, the API token 403', async () => {
    const session = new FakeSession(WITH_QR);
    app = await startApp({ session, apiToken: API_TOKEN });
    assert.equal((await post({ phoneNumber: '15550001111' }, {})).status, 401);
    assert.equal((await post({ phoneNumber: '15550001111' }, bearer(API_TOKEN))).status, 403);
    assert.deepEqual(session.codeRequests, []);
  });

  it('DELETE goes back to a QR; other methods 405', async () => {
    const session = new FakeSession(WITH_CODE);
    app = await startApp({ session });
    const res = await fetch(`${app.url}/api/session/pairing-code`, { method: 'DELETE', headers: bearer() });
    assert.equal(res.status, 202);
    assert.deepEqual(((await res.json()) as { pairing: unknown }).pairing, { method: 'qr', phoneNumber: null });
    assert.equal(session.qrRequests, 1);
    const get = await fetch(`${app.url}/api/session/pairing-code`, { headers: bearer() });
    assert.equal(get.status, 405);
  });
});
