import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BASIC_CHALLENGE, decideAccess, decideAdminAccess, presentedToken, type Scope } from '../../src/http/admin-auth';
import { isLoopbackAddress } from '../../src/http/is-loopback';
import { FakeSession, WITH_QR } from '../support/fake-session';
import { basic, bearer, startApp, TOKEN, type TestApp } from './support/start-app';

/** Every admin route, asked with its own method. */
const ADMIN_ROUTES = [
  { method: 'GET', path: '/api/session/status' },
  { method: 'DELETE', path: '/api/session/clear' },
  { method: 'GET', path: '/api/qr' },
  { method: 'GET', path: '/api/qr.png' },
  { method: 'GET', path: '/api/events' },
  { method: 'GET', path: '/qr' },
] as const;

/** Status of one request; bodies are cancelled so event streams do not stay open. */
async function statusOf(app: TestApp, method: string, path: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(app.url + path, { method, headers, signal: controller.signal, redirect: 'manual' });
  const challenge = res.headers.get('www-authenticate');
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json') ? ((await res.json()) as { error?: { code: string; message: string } }) : null;
  controller.abort();
  return { status: res.status, challenge, body };
}

describe('decideAdminAccess', () => {
  it('grants a matching Bearer token and the token as Basic password (any user name)', () => {
    assert.equal(decideAdminAccess(TOKEN, { authorization: `Bearer ${TOKEN}`, remoteAddress: '203.0.113.9' }), 'granted');
    assert.equal(decideAdminAccess(TOKEN, { authorization: `bearer ${TOKEN}`, remoteAddress: '203.0.113.9' }), 'granted');
    assert.equal(decideAdminAccess(TOKEN, { authorization: basic(TOKEN, 'anyone').Authorization, remoteAddress: '203.0.113.9' }), 'granted');
    assert.equal(decideAdminAccess(TOKEN, { authorization: basic(TOKEN, '').Authorization, remoteAddress: '203.0.113.9' }), 'granted');
  });

  it('refuses a wrong, empty, truncated or differently long token, even from loopback', () => {
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      'Bearer wrong',
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Token ${TOKEN}`,
      basic('wrong').Authorization,
      `Basic ${Buffer.from(TOKEN).toString('base64')}`,
    ]) {
      assert.equal(decideAdminAccess(TOKEN, { authorization, remoteAddress: '127.0.0.1' }), 'unauthorized', String(authorization));
    }
  });

  it('without a token, grants loopback clients only and forbids everyone else', () => {
    for (const remoteAddress of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      assert.equal(decideAdminAccess(null, { authorization: undefined, remoteAddress }), 'granted', remoteAddress);
    }
    for (const remoteAddress of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.5', '2001:db8::1', '::2', undefined, 'localhost']) {
      assert.equal(decideAdminAccess(null, { authorization: `Bearer ${TOKEN}`, remoteAddress }), 'forbidden', String(remoteAddress));
    }
  });

  it('scopes: the API token covers API routes only, the admin token both; without ADMIN_TOKEN loopback is the admin', () => {
    const API = 'api-token-for-an-application';
    const remote = '203.0.113.9';
    const decide = (tokens: { admin: string | null; api: string | null }, token: string | undefined, remoteAddress: string, scope: Scope) =>
      decideAccess(tokens, { authorization: token === undefined ? undefined : `Bearer ${token}`, remoteAddress }, scope);
    const both = { admin: TOKEN, api: API };
    assert.equal(decide(both, API, remote, 'api'), 'granted');
    assert.equal(decide(both, TOKEN, remote, 'api'), 'granted');
    assert.equal(decide(both, TOKEN, remote, 'admin'), 'granted');
    assert.equal(decide(both, API, remote, 'admin'), 'insufficient', 'a valid token, the wrong scope');
    assert.equal(decide(both, API, '127.0.0.1', 'admin'), 'insufficient', 'with ADMIN_TOKEN set, loopback is no admin');
    assert.equal(decide(both, undefined, '127.0.0.1', 'api'), 'unauthorized');
    assert.equal(decide(both, 'wrong', remote, 'api'), 'unauthorized');
    const apiOnly = { admin: null, api: API };
    assert.equal(decide(apiOnly, API, remote, 'api'), 'granted');
    assert.equal(decide(apiOnly, undefined, remote, 'api'), 'unauthorized', 'the API token would help');
    assert.equal(decide(apiOnly, undefined, '::1', 'api'), 'granted', 'this machine is the admin');
    assert.equal(decide(apiOnly, undefined, '::1', 'admin'), 'granted');
    assert.equal(decide(apiOnly, API, remote, 'admin'), 'insufficient');
    assert.equal(decide(apiOnly, undefined, remote, 'admin'), 'forbidden', 'no token could help');
    assert.equal(decide({ admin: null, api: null }, undefined, remote, 'api'), 'forbidden');
  });

  it('reads the token of Bearer and Basic credentials', () => {
    assert.equal(presentedToken('Bearer  abc '), 'abc');
    assert.equal(presentedToken(basic('pa:ss', 'u').Authorization), 'pa:ss');
    assert.equal(presentedToken('Digest abc'), null);
    assert.equal(presentedToken(undefined), null);
  });

  it('knows loopback addresses', () => {
    assert.equal(isLoopbackAddress('127.0.0.1'), true);
    assert.equal(isLoopbackAddress('::ffff:127.1.2.3'), true);
    assert.equal(isLoopbackAddress('0:0:0:0:0:0:0:1'), true);
    assert.equal(isLoopbackAddress('128.0.0.1'), false);
    assert.equal(isLoopbackAddress('::ffff:192.0.2.1'), false);
    assert.equal(isLoopbackAddress(undefined), false);
  });
});

describe('admin routes with ADMIN_TOKEN', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(WITH_QR) });
  });
  after(() => app.close());

  for (const { method, path } of ADMIN_ROUTES) {
    it(`${method} ${path}: 401 with a Basic challenge without credentials`, async () => {
      const res = await statusOf(app, method, path);
      assert.equal(res.status, 401);
      assert.equal(res.challenge, BASIC_CHALLENGE);
      assert.equal(res.body?.error?.code, 'UNAUTHORIZED');
      assert.match(res.body?.error?.message ?? '', /Authorization: Bearer/);
    });

    it(`${method} ${path}: 401 with a wrong Bearer token or a wrong Basic password`, async () => {
      for (const headers of [bearer('wrong-token'), basic('wrong-token'), bearer(TOKEN.toUpperCase())]) {
        const res = await statusOf(app, method, path, headers);
        assert.equal(res.status, 401);
        assert.equal(res.challenge, BASIC_CHALLENGE);
      }
      // Failed logins are throttled per address (security.test.ts): start the next route afresh.
      await app.clock.advance(60_000);
    });

    it(`${method} ${path}: 2xx with the Bearer token or Basic credentials`, async () => {
      for (const headers of [bearer(), basic(), basic(TOKEN, 'someone-else')]) {
        const res = await statusOf(app, method, path, headers);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.challenge, null);
      }
    });
  }

  it('never logs the token or the Authorization header', async () => {
    await statusOf(app, 'GET', '/api/session/status', bearer());
    await statusOf(app, 'GET', '/api/session/status', bearer('wrong-token'));
    await statusOf(app, 'DELETE', '/api/session/clear', basic());
    assert.doesNotMatch(app.logger.text(), new RegExp(TOKEN));
    assert.doesNotMatch(app.logger.text(), /wrong-token|Bearer|Basic /);
  });

  it('does not warn about loopback-only mode', () => {
    assert.equal(app.logger.lines.filter((e) => /ADMIN_TOKEN/.test(e.message)).length, 0);
  });
});

describe('admin routes without ADMIN_TOKEN', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ adminToken: null, session: new FakeSession(WITH_QR) });
  });
  after(() => app.close());

  for (const { method, path } of ADMIN_ROUTES) {
    it(`${method} ${path}: answers a loopback client with no credentials`, async () => {
      const res = await statusOf(app, method, path);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });
  }

  it('logs once, at warn and at creation, that admin routes are loopback-only', async () => {
    await statusOf(app, 'GET', '/api/session/status');
    await statusOf(app, 'GET', '/api/qr');
    const warnings = app.logger.lines.filter((e) => /ADMIN_TOKEN is not set/.test(e.message));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.level, 'warn');
  });
});
