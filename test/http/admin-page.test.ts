import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../src/http/security-headers';
import { FakeSession, WITH_QR } from '../support/fake-session';
import { basic, bearer, startApp, type TestApp } from './support/start-app';

function assertSecurityHeaders(res: Response, what: string): void {
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', what);
  assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
  assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, what);
  assert.equal(res.headers.get('x-powered-by'), null, what);
}

describe('admin page and security headers', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(WITH_QR) });
  });
  after(() => app.close());

  it('GET /qr serves the page with the CSP', async () => {
    const res = await fetch(`${app.url}/qr`, { headers: basic() });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(
      res.headers.get('content-security-policy'),
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    );
    const html = await res.text();
    for (const id of ['state', 'message', 'qr-img', 'me', 'repair']) assert.match(html, new RegExp(`id="${id}"`), id);
    assert.match(html, /<meta name="viewport"/);
    assert.match(html, /src="\/assets\/admin\.js"/);
    const scripts = html.match(/<script\b[^>]*>[^<]*<\/script>/g) ?? [];
    assert.ok(scripts.length > 0);
    for (const script of scripts) assert.match(script, /^<script src="\/assets\/[^"]+"[^>]*><\/script>$/, 'no inline scripts');
    assert.doesNotMatch(html, /\b(?:src|href)="https?:/, 'no external resources');
    assert.match(html, /href="\/api\/openapi\.json"/, 'the page links the API contract');
  });

  it('outside demo mode the simulated phone does not exist: /demo/* is 404, the status carries no "simulated"', async () => {
    for (const route of ['/demo/phone', '/demo/api/phone']) {
      const res = await fetch(`${app.url}${route}`, { headers: bearer() });
      assert.equal(res.status, 404, route);
    }
    const post = await fetch(`${app.url}/demo/api/phone/scan`, { method: 'POST', headers: bearer() });
    assert.equal(post.status, 404);
    const status = (await (await fetch(`${app.url}/api/session/status`, { headers: bearer() })).json()) as Record<string, unknown>;
    assert.equal('simulated' in status, false);
    const health = (await (await fetch(`${app.url}/api/health`)).json()) as Record<string, unknown>;
    assert.equal('simulated' in health, false);
  });

  it('GET / redirects to /qr', async () => {
    const res = await fetch(`${app.url}/`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/qr');
  });

  it('serves the assets publicly', async () => {
    const js = await fetch(`${app.url}/assets/admin.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.match(await js.text(), /EventSource/);
    const css = await fetch(`${app.url}/assets/admin.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  });

  it('sets the security headers on every kind of answer', async () => {
    const answers: Array<[string, Promise<Response>]> = [
      ['page', fetch(`${app.url}/qr`, { headers: bearer() })],
      ['asset', fetch(`${app.url}/assets/admin.css`)],
      ['health', fetch(`${app.url}/api/health`)],
      ['api', fetch(`${app.url}/api/qr`, { headers: bearer() })],
      ['png', fetch(`${app.url}/api/qr.png`, { headers: bearer() })],
      ['401', fetch(`${app.url}/api/qr`)],
      ['404', fetch(`${app.url}/nothing-here`)],
      ['redirect', fetch(`${app.url}/`, { redirect: 'manual' })],
    ];
    for (const [what, pending] of answers) {
      const res = await pending;
      assertSecurityHeaders(res, what);
      await res.arrayBuffer();
    }
  });

  it('forbids caching of every /api answer, errors included', async () => {
    for (const path of ['/api/health', '/api/qr', '/api/nothing']) {
      const res = await fetch(app.url + path);
      assert.equal(res.headers.get('cache-control'), 'no-store', path);
      await res.arrayBuffer();
    }
  });
});
