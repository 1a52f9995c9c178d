import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { signWebhook } from '../../../src/webhooks/sign';
import { webhookKey } from '../../../src/common/webhook-secret';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('signWebhook', () => {
  it('produces what the standardwebhooks package verifies', () => {
    const key = webhookKey(SECRET);
    assert.ok(key);
    const id = 'evt_5d4b0c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e';
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'message', timestamp: new Date().toISOString(), data: { body: 'héllo 😀', n: 1 } });
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(key, id, timestamp, body) };
    assert.deepEqual(new Webhook(SECRET).verify(body, headers), JSON.parse(body));
  });

  it('a changed body, id, timestamp or secret does not verify', () => {
    const key = webhookKey(SECRET);
    assert.ok(key);
    const timestamp = Math.floor(Date.now() / 1000);
    const sign = (id: string, ts: number, body: string) => ({
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(key, id, ts, body),
    });
    const good = sign('evt_a', timestamp, '{"a":1}');
    assert.throws(() => new Webhook(SECRET).verify('{"a":2}', good));
    assert.throws(() => new Webhook(SECRET).verify('{"a":1}', { ...good, 'webhook-id': 'evt_b' }));
    assert.throws(() => new Webhook(SECRET).verify('{"a":1}', { ...good, 'webhook-timestamp': String(timestamp + 1) }));
    assert.throws(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify('{"a":1}', good));
  });
});

describe('webhookKey', () => {
  it('is the bytes after whsec_, or null for anything else', () => {
    assert.equal(webhookKey('whsec_AAECAw==')?.toString('hex'), '00010203');
    for (const bad of ['AAECAw==', 'whsec_', 'whsec_not base64!', 'whsec_AAECA', 'sk_AAECAw==']) assert.equal(webhookKey(bad), null, bad);
  });
});
