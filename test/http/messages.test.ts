import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AcceptedMessageBody, DeliveryListBody, ErrorBody, MessageBody, MessagePageBody } from '../../src/http/bodies';
import { FakeSession, READY } from '../support/fake-session';
import { bearer, startApp, type TestApp, TOKEN } from './support/start-app';

const API_TOKEN = 'api-token-for-applications-0123';

async function send(app: TestApp, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${app.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(API_TOKEN), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('POST /api/messages', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(READY), apiToken: API_TOKEN });
  });
  after(() => app.close());

  it('202 with the id, queued, the normalized chat and createdAt, after the message is committed', async () => {
    const { status, body } = await send(app, { to: '+1 555-000 2222', text: 'hello' });
    assert.equal(status, 202);
    const accepted = body as AcceptedMessageBody;
    assert.match(accepted.id, /^msg_[0-9a-f-]{36}$/);
    assert.deepEqual(
      { ...accepted, id: 'x' },
      { id: 'x', status: 'queued', to: '15550002222@c.us', createdAt: '2025-01-02T04:00:00.000Z', media: null },
    );
    const stored = await app.stores.outboxStore.get(accepted.id);
    assert.deepEqual([stored?.chatId, stored?.text, stored?.source], ['15550002222@c.us', 'hello', 'api']);
    assert.ok(app.stores.wakes.sender >= 1, 'the sender is woken');
  });

  it('Idempotency-Key: the same body again is 200 with the same record and nothing new; another body is 409', async () => {
    const key = { 'Idempotency-Key': 'order-7731' };
    const first = await send(app, { to: '15550002222', text: 'your order shipped' }, key);
    assert.equal(first.status, 202);
    const again = await send(app, { to: '+1 555 000 2222', text: 'your order shipped' }, key);
    assert.equal(again.status, 200);
    assert.equal(
      (again.body as AcceptedMessageBody).id,
      (first.body as AcceptedMessageBody).id,
      'the same message (the same chat, written differently)',
    );
    const conflict = await send(app, { to: '15550002222', text: 'something else' }, key);
    assert.equal(conflict.status, 409);
    assert.equal((conflict.body as ErrorBody).error.code, 'IDEMPOTENCY_KEY_REUSED');
    const all = await app.stores.outboxStore.list({ limit: 100 });
    assert.equal(all.messages.filter((m) => m.text === 'your order shipped').length, 1);
    assert.equal(all.messages.filter((m) => m.text === 'something else').length, 0);
  });

  it('400 with a code for each kind of bad input, 413 over the body limit, 400 for malformed JSON', async () => {
    const cases: Array<[unknown, string, Record<string, string>?]> = [
      [{ to: 'bob', text: 'x' }, 'INVALID_RECIPIENT'],
      [{ to: '15550002222', text: '' }, 'INVALID_TEXT'],
      [{ to: '15550002222', text: 'x'.repeat(65_537) }, 'INVALID_TEXT'],
      [{ to: '15550002222', text: 'x', cc: 'someone' }, 'UNKNOWN_FIELD'],
      [{ to: '15550002222', text: 'x', replyTo: 'not an id' }, 'INVALID_REPLY_TO'],
      [{ to: '15550002222', text: 'x' }, 'INVALID_IDEMPOTENCY_KEY', { 'Idempotency-Key': 'é' }],
      ['{"to": "15550002222", "text": ', 'BAD_REQUEST'],
      // Neither JSON nor a form: said so, not read as bytes whose indexes are unknown fields.
      ['to=15550002222&text=hi', 'BAD_REQUEST', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['hello', 'BAD_REQUEST', { 'content-type': 'text/plain' }],
    ];
    for (const [body, code, headers] of cases) {
      const result = await send(app, body, headers);
      assert.equal(result.status, 400, code);
      assert.equal((result.body as ErrorBody).error.code, code);
      assert.match((result.body as ErrorBody).error.message, /\S{3}/);
      if (headers?.['content-type']) assert.match((result.body as ErrorBody).error.message, /application\/json or multipart\/form-data/);
    }
    const long = await send(app, { to: '15550002222', text: 'x'.repeat(1_100_000) });
    assert.deepEqual(
      [long.status, (long.body as ErrorBody).error.code],
      [400, 'INVALID_TEXT'],
      'read whole (the body may carry a file), then refused for its length',
    );
    const big = await send(app, { to: '15550002222', text: '\u0001'.repeat(65_536) });
    assert.equal(big.status, 202, 'a 65,536-character text fits even when every character is escaped');
  });
});

describe('POST /api/messages when the disk fails', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(READY), apiToken: API_TOKEN });
  });
  after(() => app.close());

  it('500 STORAGE_FAILED saying it was not accepted, never a 202; the cause goes to the log', async () => {
    app.stores.db.close();
    const { status, body } = await send(app, { to: '15550002222', text: 'hello' });
    assert.equal(status, 500);
    assert.equal((body as ErrorBody).error.code, 'STORAGE_FAILED');
    assert.match((body as ErrorBody).error.message, /not accepted.*send it again/);
    assert.equal(app.stores.wakes.sender, 0);
    assert.match(JSON.stringify(app.logger.at('error')), /STORAGE_FAILED/);
  });
});

describe('GET /api/messages and /api/messages/<id>', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(READY), apiToken: API_TOKEN });
  });
  after(() => app.close());

  it('answers the record with its progress, 404 JSON for an unknown id', async () => {
    const { body } = await send(app, { to: '15550002222', text: 'hi' });
    const { id } = body as AcceptedMessageBody;
    await app.stores.outboxStore.markSending(id);
    await app.stores.outboxStore.markSent(id, { waMessageId: 'true_15550002222@c.us_3EB0AB', sentAt: Date.parse('2025-01-02T04:00:03.000Z') });
    const res = await fetch(`${app.url}/api/messages/${id}`, { headers: bearer(API_TOKEN) });
    assert.deepEqual((await res.json()) as MessageBody, {
      id,
      status: 'sent',
      to: '15550002222@c.us',
      createdAt: '2025-01-02T04:00:00.000Z',
      media: null,
      sentAt: '2025-01-02T04:00:03.000Z',
      waMessageId: 'true_15550002222@c.us_3EB0AB',
      attempts: 1,
      error: null,
    });
    const missing = await fetch(`${app.url}/api/messages/msg_nope`, { headers: bearer(API_TOKEN) });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as ErrorBody).error.code, 'NOT_FOUND');
  });

  it('lists newest first, by status, with a cursor to the next page', async () => {
    for (let i = 0; i < 4; i++) await send(app, { to: '15550003333', text: `n${i}` });
    const first = (await (await fetch(`${app.url}/api/messages?status=queued&limit=2`, { headers: bearer(API_TOKEN) })).json()) as MessagePageBody;
    assert.deepEqual(
      first.messages.map((m) => m.status),
      ['queued', 'queued'],
    );
    assert.ok(first.next);
    const second = (await (
      await fetch(`${app.url}/api/messages?status=queued&limit=2&before=${first.next}`, { headers: bearer(API_TOKEN) })
    ).json()) as MessagePageBody;
    const texts = (page: MessagePageBody) => page.messages.map((m) => m.to);
    assert.equal(texts(first).length + texts(second).length, 4);
    for (const query of ['status=lost', 'before=', 'before=0x10', 'before=1e3', 'limit=', 'limit=1e1', 'limit=0', 'limit=201', 'limit=2&limit=3']) {
      const bad = await fetch(`${app.url}/api/messages?${query}`, { headers: bearer(API_TOKEN) });
      assert.deepEqual([bad.status, ((await bad.json()) as ErrorBody).error.code], [400, 'INVALID_QUERY'], query);
    }
  });
});

describe('tokens with a scope', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(READY), apiToken: API_TOKEN });
  });
  after(() => app.close());

  it('API_TOKEN may send, read messages and read the session status; nothing else', async () => {
    const may = [
      ['POST', '/api/messages'],
      ['GET', '/api/messages'],
      ['GET', '/api/session/status'],
    ];
    for (const [method, route] of may) {
      const res = await fetch(`${app.url}${route}`, {
        method,
        headers: { ...bearer(API_TOKEN), 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify({ to: '15550002222', text: 'x' }) } : {}),
      });
      assert.ok(res.status < 400, `${method} ${route}: ${res.status}`);
    }
    const mayNot = [
      ['DELETE', '/api/session/clear'],
      ['GET', '/api/qr'],
      ['GET', '/api/qr.png'],
      ['GET', '/api/events'],
      ['GET', '/api/webhooks/deliveries'],
      ['POST', '/api/webhooks/deliveries/dlv_x/retry'],
      ['GET', '/qr'],
    ];
    for (const [method, route] of mayNot) {
      const res = await fetch(`${app.url}${route}`, { method, headers: bearer(API_TOKEN) });
      // A valid token for the wrong route: 403, and no login prompt a browser would loop on.
      assert.equal(res.status, 403, `${method} ${route} with the API token`);
      assert.equal(res.headers.get('www-authenticate'), null);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'FORBIDDEN');
      assert.match(body.error.message, /needs ADMIN_TOKEN/);
    }
    assert.equal(app.session.clearCalls, 0);
  });

  it('the admin token may do everything; no token may do nothing', async () => {
    const admin = await fetch(`${app.url}/api/messages`, { headers: bearer(TOKEN) });
    assert.equal(admin.status, 200);
    const none = await fetch(`${app.url}/api/messages`);
    assert.equal(none.status, 401);
    const wrong = await fetch(`${app.url}/api/messages`, { headers: bearer('not-the-token-at-all-000') });
    assert.equal(wrong.status, 401);
  });
});

describe('webhook deliveries (admin)', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(READY), apiToken: API_TOKEN });
  });
  after(() => app.close());

  it('lists deliveries with their counts, by status; a retry makes a dead one due and wakes the deliverer', async () => {
    await app.stores.webhooks.record({ id: 'evt_1', type: 'message', body: '{}', createdAt: app.clock.now() });
    const [delivery] = await app.stores.webhooks.due(app.clock.now(), 10);
    assert.ok(delivery);
    await app.stores.webhooks.markDead(delivery.id, { attempts: 9, at: app.clock.now(), error: 'HTTP 500', statusCode: 500 });
    const list = (await (await fetch(`${app.url}/api/webhooks/deliveries?status=dead`, { headers: bearer(TOKEN) })).json()) as DeliveryListBody;
    assert.deepEqual(
      list.deliveries.map((d) => [d.id, d.eventId, d.status, d.attempts, d.lastError]),
      [[delivery.id, 'evt_1', 'dead', 9, 'HTTP 500']],
    );
    assert.equal(list.counts.dead, 1);
    const before = app.stores.wakes.deliverer;
    const retry = await fetch(`${app.url}/api/webhooks/deliveries/${delivery.id}/retry`, { method: 'POST', headers: bearer(TOKEN) });
    assert.equal(retry.status, 200);
    assert.equal(((await retry.json()) as { status: string }).status, 'pending');
    assert.equal(app.stores.wakes.deliverer, before + 1);
    const again = await fetch(`${app.url}/api/webhooks/deliveries/${delivery.id}/retry`, { method: 'POST', headers: bearer(TOKEN) });
    assert.equal(again.status, 409);
    const unknown = await fetch(`${app.url}/api/webhooks/deliveries/dlv_unknown/retry`, { method: 'POST', headers: bearer(TOKEN) });
    assert.equal(unknown.status, 404);
  });
});
