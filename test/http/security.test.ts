// The HTTP findings of the security review, each reproduced against the real app on loopback:
// every test here failed on the code before the fix.
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { createHttpServer, GUARD_GRACE_MS, SERVER_LIMITS } from '../../src/http/http-server';
import { FakeSession, READY, WITH_QR } from '../support/fake-session';
import { bearer, startApp, TOKEN, type TestApp } from './support/start-app';

interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A request with headers fetch() will not send (Host) or would rewrite. */
function raw(app: TestApp, method: string, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const url = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers: { host: url.host, ...headers }, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const code = (answer: RawAnswer): string => (JSON.parse(answer.body) as { error: { code: string } }).error.code;

describe('finding 1: loopback trust without a Host check (no ADMIN_TOKEN)', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ adminToken: null, session: new FakeSession(WITH_QR) });
  });
  after(() => app.close());

  it('a DNS-rebinding page (Host: attacker.example) does not get the QR', async () => {
    const answer = await raw(app, 'GET', '/api/qr', { host: 'attacker.example:3000' });
    assert.equal(answer.status, 403);
    assert.equal(code(answer), 'FORBIDDEN');
    assert.match(answer.body, /localhost, 127\.0\.0\.1 or \[::1\].*set ADMIN_TOKEN/);
    assert.doesNotMatch(answer.body, /2@/, 'no QR payload in the refusal');
  });

  it('a request through a local proxy or tunnel (X-Forwarded-For, Forwarded, X-Real-IP, CF-Connecting-IP) cannot clear the session', async () => {
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'cf-connecting-ip']) {
      const answer = await raw(app, 'DELETE', '/api/session/clear', { [header]: header === 'forwarded' ? 'for=203.0.113.7' : '203.0.113.7' });
      assert.equal(answer.status, 403, header);
    }
    assert.equal(app.session.clearCalls, 0);
  });

  it('this machine by its own names still gets in', async () => {
    const port = new URL(app.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost']) {
      assert.equal((await raw(app, 'GET', '/api/qr', { host })).status, 200, host);
    }
  });

  it('a cross-site state change is refused, a same-origin one (the /qr page) goes through', async () => {
    const url = new URL(app.url);
    const cross = await raw(app, 'DELETE', '/api/session/clear', { origin: 'http://attacker.example' });
    assert.equal(cross.status, 403);
    assert.match(cross.body, /another site/);
    assert.equal((await raw(app, 'DELETE', '/api/session/clear', { 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal(app.session.clearCalls, 0);
    assert.equal((await raw(app, 'DELETE', '/api/session/clear', { origin: `http://${url.host}`, 'sec-fetch-site': 'same-origin' })).status, 200);
    assert.equal(app.session.clearCalls, 1);
  });
});

describe('finding 1: the Origin rule with a token', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(READY) });
  });
  after(() => app.close());

  it('Basic credentials a browser sends by itself do not carry a cross-site POST or DELETE', async () => {
    const basicAuth = `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`;
    const post = await raw(app, 'POST', '/api/messages', {
      authorization: basicAuth,
      origin: 'https://evil.example',
      'content-type': 'application/json',
    });
    assert.equal(post.status, 403);
    const clear = await raw(app, 'DELETE', '/api/session/clear', { authorization: basicAuth, 'sec-fetch-site': 'same-site' });
    assert.equal(clear.status, 403);
    assert.equal(app.session.clearCalls, 0);
    // A GET is no state change: the page's own reads need no Origin.
    assert.equal((await raw(app, 'GET', '/api/session/status', { authorization: basicAuth, 'sec-fetch-site': 'cross-site' })).status, 200);
  });
});

describe('finding 5: case and slash variants of a route', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(WITH_QR) });
  });
  after(() => app.close());

  it('/API/QR and /api/qr/ do not answer the QR; every answer but the assets is no-store', async () => {
    for (const path of ['/API/QR', '/Api/qr', '/api/qr/', '/api/QR.png']) {
      const res = await fetch(`${app.url}${path}`, { headers: bearer() });
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('cache-control'), 'no-store', path);
      assert.doesNotMatch(await res.text(), /2@/);
    }
    const page = await fetch(`${app.url}/qr`, { headers: bearer() });
    assert.equal(page.headers.get('cache-control'), 'no-store', 'the page is behind auth: never cached');
    assert.equal((await fetch(`${app.url}/api/qr`, { headers: bearer() })).status, 200, 'the exact route still answers');
  });
});

describe('finding 6: connection limits', () => {
  it('the defaults cut off a client that has not finished its headers within 20 s', () => {
    assert.ok(SERVER_LIMITS.headersTimeoutMs + SERVER_LIMITS.checkIntervalMs <= 20_000);
    assert.ok(SERVER_LIMITS.requestTimeoutMs >= SERVER_LIMITS.headersTimeoutMs);
    assert.ok(SERVER_LIMITS.maxConnections > 0 && SERVER_LIMITS.maxConnections <= 1024);
  });

  it("the daemon's own guard ends a socket that never finishes its headers, with a 408, when Node's checker does not run", async () => {
    const app = express();
    app.get('/ok', (_req, res) => void res.send('ok'));
    // Node's checker an hour apart: only the guard can end these sockets in time.
    const server = createHttpServer(app, { ...SERVER_LIMITS, headersTimeoutMs: 500, requestTimeoutMs: 500, checkIntervalMs: 3_600_000 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const outcomes = await Promise.all(
        Array.from(
          { length: 5 },
          () =>
            new Promise<{ ms: number; answer: string }>((resolve, reject) => {
              const started = Date.now();
              let answer = '';
              const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
              socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
              socket.on('close', () => resolve({ ms: Date.now() - started, answer }));
              socket.once('error', reject);
              socket.setTimeout(10_000, () => socket.destroy());
            }),
        ),
      );
      for (const o of outcomes) {
        assert.ok(o.ms >= 500 && o.ms < 500 + GUARD_GRACE_MS + 1_000, `ended after the headers timeout and its grace (${o.ms} ms)`);
        assert.match(o.answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      }
      // A client whose request arrived in time is not the guard's: it is served and kept alive past the deadline.
      const socket = net.connect(port, '127.0.0.1');
      let served = '';
      socket.on('data', (chunk: Buffer) => (served += chunk.toString('latin1')));
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write('GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await new Promise((resolve) => setTimeout(resolve, 500 + GUARD_GRACE_MS + 300));
      assert.match(served, /^HTTP\/1\.1 200 OK/);
      assert.equal(socket.destroyed, false, 'still open: it finished its headers before the deadline');
      socket.destroy();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('slow-header sockets are closed at the headers timeout, and sockets past maxConnections are refused', async () => {
    const app = express();
    app.get('/ok', (_req, res) => void res.send('ok'));
    const server = createHttpServer(app, {
      ...SERVER_LIMITS,
      headersTimeoutMs: 600,
      requestTimeoutMs: 600,
      checkIntervalMs: 100,
      maxConnections: 20,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const sockets = await Promise.all(
        Array.from(
          { length: 30 },
          () =>
            new Promise<{ closedAfter: Promise<number> }>((resolve, reject) => {
              const started = Date.now();
              const socket = net.connect(port, '127.0.0.1', () => {
                socket.write('GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
                // Read what the server says (its 408), or the end of the stream never shows.
                socket.resume();
                resolve({ closedAfter: new Promise((done) => socket.on('close', () => done(Date.now() - started))) });
              });
              socket.on('error', () => undefined);
              socket.once('error', reject);
            }),
        ),
      );
      const closed = await Promise.race([Promise.all(sockets.map((s) => s.closedAfter)), new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
      assert.ok(closed !== null, 'every slow socket was closed within 5 s');
      const late = closed.filter((ms) => ms > 600);
      assert.ok(late.length >= 1, 'the ones accepted lived until the timeout');
      const refused = closed.filter((ms) => ms < 300);
      assert.ok(refused.length >= 10, `sockets past maxConnections=20 were dropped at once (${refused.length})`);
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/ok`)).text(), 'ok', 'a normal client is served afterwards');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('event streams are capped; a closed one frees its slot', async () => {
    const app = await startApp({ session: new FakeSession(READY), overrides: { maxEventStreams: 2 } });
    const controllers: AbortController[] = [];
    const open = async (): Promise<Response> => {
      const controller = new AbortController();
      controllers.push(controller);
      return fetch(`${app.url}/api/events`, { headers: bearer(), signal: controller.signal });
    };
    try {
      assert.equal((await open()).status, 200);
      assert.equal((await open()).status, 200);
      const third = await open();
      assert.equal(third.status, 503);
      assert.equal(((await third.json()) as { error: { code: string } }).error.code, 'TOO_MANY_STREAMS');
      controllers[0]?.abort();
      let again: Response | undefined;
      for (let i = 0; i < 50 && again?.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        again = await open();
      }
      assert.equal(again?.status, 200);
    } finally {
      for (const c of controllers) c.abort();
      await app.close();
    }
  });
});

describe('finding 7: failed logins are throttled per address', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(READY) });
  });
  after(() => app.close());

  it('after 10 wrong tokens in a minute: 429 with Retry-After, even for the right token, until the minute is over', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await fetch(`${app.url}/api/session/status`, { headers: bearer(`wrong-token-${i}`) })).status, 401);
    const eleventh = await fetch(`${app.url}/api/session/status`, { headers: bearer('wrong-token-x') });
    assert.equal(eleventh.status, 401, 'the 11th is still judged');
    const blocked = await fetch(`${app.url}/api/session/status`, { headers: bearer() });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.headers.get('retry-after'), '60');
    assert.equal(((await blocked.json()) as { error: { code: string } }).error.code, 'TOO_MANY_ATTEMPTS');
    // Asking without credentials (a browser before its prompt) never counts.
    await app.clock.advance(60_000);
    for (let i = 0; i < 20; i++) assert.equal((await fetch(`${app.url}/api/session/status`)).status, 401);
    assert.equal((await fetch(`${app.url}/api/session/status`, { headers: bearer() })).status, 200);
  });

  it('per scope: a scraper with a stale token, from the same address, does not lock the operator out of the admin routes', async () => {
    await app.clock.advance(60_000);
    for (let i = 0; i < 11; i++) await fetch(`${app.url}/metrics`, { headers: bearer(`stale-metrics-token-${i}`) });
    assert.equal((await fetch(`${app.url}/metrics`, { headers: bearer() })).status, 429, 'the scraper waits');
    assert.equal((await fetch(`${app.url}/api/qr`, { headers: bearer() })).status, 404, 'the operator gets in (no QR while ready)');
  });
});
