import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { systemClock } from '../../../src/common/clock';
import { webhookKey } from '../../../src/common/webhook-secret';
import { WebhookDeliverer } from '../../../src/webhooks/webhook-deliverer';
import type { RetryPolicy } from '../../../src/webhooks/retry-schedule';
import { RecordingLogger } from '../../support/recording-logger';
import { createTestStores, type TestStores } from '../../support/test-messaging';
import { eventually } from '../../support/wait';
import { WebhookReceiver } from '../../support/webhook-receiver';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const FAST: RetryPolicy = { baseMs: 100, maxMs: 400, maxAgeMs: 60_000 };
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function setup(urls: readonly string[], options: { retry?: RetryPolicy; timeoutMs?: number } = {}) {
  const stores: TestStores = createTestStores(systemClock, { urls, events: new Set(['message', 'message.status', 'session.status']) });
  const key = webhookKey(SECRET);
  assert.ok(key);
  const deliverer = new WebhookDeliverer({
    store: stores.webhooks,
    key,
    retry: options.retry ?? FAST,
    clock: systemClock,
    logger: new RecordingLogger(),
    random: () => 0.5,
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  cleanups.push(async () => {
    await deliverer.stop();
    stores.dispose();
  });
  deliverer.start();
  let n = 0;
  const record = async (): Promise<string> => {
    const id = `evt_test_${++n}_${randomBytes(4).toString('hex')}`;
    await stores.webhooks.record({
      id,
      type: 'message',
      body: JSON.stringify({ type: 'message', timestamp: new Date().toISOString(), data: { n } }),
      createdAt: Date.now(),
    });
    deliverer.kick();
    return id;
  };
  const deliveryOf = async (eventId: string) => (await stores.webhooks.list({ limit: 100 })).find((d) => d.eventId === eventId);
  return { stores, deliverer, record, deliveryOf };
}

async function receiver(): Promise<WebhookReceiver> {
  // The bodies are this test's own ({data: {n}}), not the daemon's events: no contract to hold.
  const r = await WebhookReceiver.start({ contract: false });
  cleanups.push(() => r.close());
  return r;
}

describe('WebhookDeliverer', () => {
  it('POSTs the event as JSON with a Standard Webhooks signature the package verifies; a 2xx delivers it', async () => {
    const r = await receiver();
    const h = await setup([r.url]);
    const id = await h.record();
    const [got] = await r.waitFor(1);
    assert.ok(got);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['webhook-id'], id);
    assert.ok(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000) < 5);
    const payload = new Webhook(SECRET).verify(got.body, got.headers as Record<string, string>) as { type: string; data: { n: number } };
    assert.deepEqual([payload.type, payload.data.n], ['message', 1]);
    await eventually(async () => ((await h.deliveryOf(id))?.status === 'delivered' ? true : undefined), 'delivered');
  });

  it('a receiver that fails twice gets the event on the third try, with the same webhook-id and body', async () => {
    const r = await receiver();
    r.script.push(500, 503);
    const h = await setup([r.url]);
    const id = await h.record();
    const got = await r.waitFor(3);
    assert.deepEqual(
      got.map((g) => g.headers['webhook-id']),
      [id, id, id],
    );
    assert.equal(new Set(got.map((g) => g.body)).size, 1, 'the same bytes every time');
    for (const attempt of got) new Webhook(SECRET).verify(attempt.body, attempt.headers as Record<string, string>);
    assert.ok(got[1]!.at - got[0]!.at >= 80 && got[2]!.at - got[1]!.at >= 160, 'backoff: about 100 ms, then 200 ms');
    await eventually(async () => ((await h.deliveryOf(id))?.status === 'delivered' ? true : undefined), 'delivered');
    assert.equal((await h.deliveryOf(id))?.attempts, 3);
  });

  it('no answer within the timeout, or a refused connection, fails the attempt; past the maximum age it is dead', async () => {
    const r = await receiver();
    r.fallback = 'hang';
    const refused = await receiver();
    const refusedUrl = refused.url;
    await refused.close();
    const h = await setup([r.url, refusedUrl], { retry: { baseMs: 100, maxMs: 100, maxAgeMs: 500 }, timeoutMs: 200 });
    const id = await h.record();
    await eventually(
      async () => {
        const all = (await h.stores.webhooks.list({ limit: 10 })).filter((d) => d.eventId === id);
        return all.length === 2 && all.every((d) => d.status === 'dead') ? all : undefined;
      },
      'both dead',
      10_000,
    );
    const all = (await h.stores.webhooks.list({ limit: 10 })).filter((d) => d.eventId === id);
    assert.match(all.find((d) => d.url === r.url)?.lastError ?? '', /no answer within 200 ms/);
    assert.match(all.find((d) => d.url === refusedUrl)?.lastError ?? '', /ECONNREFUSED/);
    assert.ok(
      all.every((d) => d.attempts >= 2),
      'retried before giving up',
    );
  });

  it('a receiver that hangs never holds up another URL', async () => {
    const slow = await receiver();
    slow.fallback = 'hang';
    const fast = await receiver();
    const h = await setup([slow.url, fast.url]);
    for (let i = 0; i < 5; i++) await h.record();
    await fast.waitFor(5, 3_000);
    assert.ok(slow.received.length <= 2, `at most 2 in flight to one URL (got ${slow.received.length})`);
  });

  it('a manual retry of a dead delivery sends it again now', async () => {
    const r = await receiver();
    r.script.push(500);
    const h = await setup([r.url], { retry: { baseMs: 100, maxMs: 100, maxAgeMs: 50 } });
    const id = await h.record();
    await eventually(async () => ((await h.deliveryOf(id))?.status === 'dead' ? true : undefined), 'dead');
    const dead = await h.deliveryOf(id);
    assert.ok(dead);
    await h.stores.webhooks.retry(dead.id, Date.now());
    h.deliverer.kick();
    await eventually(async () => ((await h.deliveryOf(id))?.status === 'delivered' ? true : undefined), 'delivered after the retry');
    assert.equal(r.received.length, 2);
  });

  it('stop() interrupts an attempt in flight (recorded as failed, not lost); after a start it is delivered', async () => {
    const r = await receiver();
    r.script.push('hang');
    const h = await setup([r.url]);
    const id = await h.record();
    await r.waitFor(1);
    const stopped = Date.now();
    await h.deliverer.stop();
    assert.ok(Date.now() - stopped < 2_000, 'stop() does not wait out the 10 s timeout');
    const interrupted = await h.deliveryOf(id);
    assert.deepEqual([interrupted?.status, interrupted?.lastError], ['failed', 'interrupted by the daemon shutting down']);
    h.deliverer.start();
    await eventually(async () => ((await h.deliveryOf(id))?.status === 'delivered' ? true : undefined), 'delivered after the start', 5_000);
    assert.equal(r.received.length, 2);
  });
});
