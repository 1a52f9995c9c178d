import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { statusForCode } from '../../src/http/error-handler';
import { AppError } from '../../src/common/errors';
import { FakeSession, READY } from '../support/fake-session';
import { bearer, startApp, type TestApp } from './support/start-app';

interface ErrorBody {
  error: { code: string; message: string };
}

async function json(res: Response): Promise<ErrorBody> {
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return (await res.json()) as ErrorBody;
}

describe('error answers', () => {
  const session = new FakeSession(READY);
  let app: TestApp;
  before(async () => {
    app = await startApp({ session });
  });
  after(() => app.close());
  beforeEach(() => {
    session.clearImpl = async () => ({ loggedOut: true, wiped: true });
  });

  it('unknown routes: 404 JSON NOT_FOUND', async () => {
    for (const path of ['/nope', '/api/nope', '/api/session', '/assets/missing.js', '/qr.html', '/assets/']) {
      const res = await fetch(app.url + path, { headers: bearer() });
      assert.equal(res.status, 404, path);
      assert.equal((await json(res)).error.code, 'NOT_FOUND');
    }
  });

  it('a known path with the wrong method: 405 JSON with Allow', async () => {
    const res = await fetch(`${app.url}/api/session/clear`, { method: 'POST', headers: bearer() });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'DELETE');
    assert.equal((await json(res)).error.code, 'METHOD_NOT_ALLOWED');

    const health = await fetch(`${app.url}/api/health`, { method: 'DELETE' });
    assert.equal(health.status, 405);
    assert.equal(health.headers.get('allow'), 'GET, HEAD');
  });

  it('malformed JSON: 400 BAD_REQUEST', async () => {
    const res = await fetch(`${app.url}/api/session/clear`, {
      method: 'DELETE',
      headers: { ...bearer(), 'Content-Type': 'application/json' },
      body: '{"oops": ',
    });
    assert.equal(res.status, 400);
    assert.equal((await json(res)).error.code, 'BAD_REQUEST');
    assert.equal(session.clearCalls, 0);
  });

  it('bodies over 16 kB: 413 PAYLOAD_TOO_LARGE, JSON or not', async () => {
    const big = 'x'.repeat(17 * 1024);
    for (const [type, body] of [
      ['application/json', JSON.stringify({ big })],
      ['text/plain', big],
      ['application/octet-stream', big],
    ] as const) {
      const res = await fetch(`${app.url}/api/session/clear`, {
        method: 'DELETE',
        headers: { ...bearer(), 'Content-Type': type },
        body,
      });
      assert.equal(res.status, 413, type);
      assert.equal((await json(res)).error.code, 'PAYLOAD_TOO_LARGE');
    }
    assert.equal(session.clearCalls, 0);
  });

  it('a small body on clear is ignored', async () => {
    const res = await fetch(`${app.url}/api/session/clear`, {
      method: 'DELETE',
      headers: { ...bearer(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ force: true }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { success: boolean }).success, true);
  });

  it('an unexpected error: 500 INTERNAL, generic message, no stack, logged', async () => {
    session.clearImpl = async () => {
      throw new Error('EACCES: permission denied, rmdir /secret/internal/path');
    };
    const res = await fetch(`${app.url}/api/session/clear`, { method: 'DELETE', headers: bearer() });
    assert.equal(res.status, 500);
    const text = await res.text();
    const body = JSON.parse(text) as ErrorBody;
    assert.equal(body.error.code, 'INTERNAL');
    assert.doesNotMatch(text, /EACCES|secret|at .*\.ts|stack/);
    const logged = app.logger.lines.find((e) => e.level === 'error' && /EACCES/.test(String(e.meta.error)));
    assert.ok(logged, 'the real error goes to the log');
  });

  it('a thrown non-Error value is a 500 too', async () => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the case under test: a rejection that is not an Error
    session.clearImpl = () => Promise.reject('Target closed');
    const res = await fetch(`${app.url}/api/session/clear`, { method: 'DELETE', headers: bearer() });
    assert.equal(res.status, 500);
    assert.equal(((await res.json()) as ErrorBody).error.code, 'INTERNAL');
  });

  it('AppErrors keep their code and operator message, with the mapped status', async () => {
    const check = async (res: Response, error: AppError, status: number): Promise<void> => {
      assert.equal(res.status, status, error.code);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text), { error: { code: error.code, message: error.message } });
      assert.doesNotMatch(text, /stack|\.ts:/);
    };
    const clearCases = [
      [new AppError('CLEAR_FAILED', 'Could not delete the profile. To resolve, check AUTH_PATH permissions.'), 500],
      [new AppError('SHUTTING_DOWN', 'The daemon is shutting down.'), 503],
    ] as const;
    for (const [error, status] of clearCases) {
      session.clearImpl = async () => {
        throw error;
      };
      await check(await fetch(`${app.url}/api/session/clear`, { method: 'DELETE', headers: bearer() }), error, status);
    }
    const paired = new AppError('ALREADY_PAIRED', 'Already paired; clear the session first to pair another phone.');
    session.codeImpl = async () => {
      throw paired;
    };
    const res = await fetch(`${app.url}/api/session/pairing-code`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber: '+15550001111' }),
    });
    await check(res, paired, 409);
  });
});

describe('statusForCode', () => {
  it('maps the HTTP-facing codes', () => {
    assert.equal(statusForCode('UNAUTHORIZED'), 401);
    assert.equal(statusForCode('FORBIDDEN'), 403);
    assert.equal(statusForCode('NOT_FOUND'), 404);
    assert.equal(statusForCode('NO_QR'), 404);
    assert.equal(statusForCode('BAD_REQUEST'), 400);
    assert.equal(statusForCode('PAYLOAD_TOO_LARGE'), 413);
    assert.equal(statusForCode('INTERNAL'), 500);
    assert.equal(statusForCode('INSTANCE_LOCKED'), 409);
  });
});
