// The webhook receiver printed in docs/webhooks.md (the README links to it), run as it stands
// against the daemon's own deliverer: if the documented code stops verifying real deliveries,
// this fails.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/common/clock';
import { signWebhook } from '../../src/webhooks/sign';
import { webhookKey } from '../../src/common/webhook-secret';
import { WebhookDeliverer } from '../../src/webhooks/webhook-deliverer';
import { Child } from '../support/child-process';
import { freePort } from '../support/free-port';
import { RecordingLogger } from '../support/recording-logger';
import { createTestStores, type TestStores } from '../support/test-messaging';
import { eventually } from '../support/wait';
import { childEnv } from '../support/child-env';

const ROOT = path.resolve(__dirname, '../..');
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

function readmeReceiver(): string {
  const page = readFileSync(path.join(ROOT, 'docs', 'webhooks.md'), 'utf8');
  const match = /```js\n(\/\/ receiver\.mjs\n[\s\S]*?)```/.exec(page);
  assert.ok(match?.[1], 'docs/webhooks.md has a "// receiver.mjs" block');
  assert.match(readFileSync(path.join(ROOT, 'README.md'), 'utf8'), /\(docs\/webhooks\.md#the-receiver\)/, 'the README points at the receiver');
  return match[1];
}

describe('the webhook receiver of docs/webhooks.md', { timeout: 30_000 }, () => {
  let dir: string;
  let receiver: Child;
  let url: string;
  let stores: TestStores;
  let deliverer: WebhookDeliverer;

  before(async () => {
    const code = readmeReceiver();
    assert.ok(code.split('\n').length <= 25, 'it stays a short example');
    dir = mkdtempSync(path.join(os.tmpdir(), 'wa-tether-receiver-'));
    writeFileSync(path.join(dir, 'receiver.mjs'), code);
    const port = await freePort();
    url = `http://127.0.0.1:${port}/hooks/whatsapp`;
    receiver = Child.spawn({
      name: 'receiver',
      args: [path.join(dir, 'receiver.mjs')],
      env: childEnv({ WEBHOOK_SECRET: SECRET, PORT: String(port) }),
      cwd: dir,
    });
    await eventually(
      async () =>
        (await fetch(url, { method: 'POST' })
          .then((r) => r.status)
          .catch(() => undefined)) === 401 || undefined,
      'the receiver listens',
      10_000,
    );
    stores = createTestStores(systemClock, { urls: [url], events: new Set(['message']) });
    const key = webhookKey(SECRET);
    assert.ok(key);
    deliverer = new WebhookDeliverer({
      store: stores.webhooks,
      key,
      retry: { baseMs: 60_000, maxMs: 60_000, maxAgeMs: 3_600_000 },
      clock: systemClock,
      logger: new RecordingLogger(),
    });
    deliverer.start();
  });
  after(async () => {
    await deliverer?.stop();
    stores?.dispose();
    await receiver?.stop('SIGTERM', 2_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a real delivery (204) and prints the message, non-ASCII text included', async () => {
    const body = JSON.stringify({
      type: 'message',
      timestamp: new Date().toISOString(),
      data: { from: '6281234567890@c.us', body: 'Pesanan saya sudah dikirim? 📦' },
    });
    await stores.webhooks.record({ id: 'evt_readme_1', type: 'message', body, createdAt: Date.now() });
    deliverer.kick();
    const delivery = await eventually(
      async () => {
        const [d] = await stores.webhooks.list({ limit: 1 });
        return d?.status === 'delivered' ? d : undefined;
      },
      'delivered',
      10_000,
    );
    assert.equal(delivery.lastStatusCode, 204);
    await receiver.waitForLine(/6281234567890@c\.us: Pesanan saya sudah dikirim\? 📦/, 5_000);
  });

  it('refuses a wrong signature, a stale timestamp and a missing one with 401', async () => {
    const body = '{"type":"message","timestamp":"2026-01-01T00:00:00.000Z","data":{}}';
    const now = Math.floor(Date.now() / 1000);
    const right = webhookKey(SECRET);
    const wrong = webhookKey(`whsec_${randomBytes(32).toString('base64')}`);
    assert.ok(right && wrong);
    const post = (headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then((r) => r.status);
    assert.equal(
      await post({ 'webhook-id': 'evt_a', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook(right, 'evt_a', now, body) }),
      204,
      'the control: a good one passes',
    );
    assert.equal(
      await post({ 'webhook-id': 'evt_a', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook(wrong, 'evt_a', now, body) }),
      401,
    );
    assert.equal(
      await post({ 'webhook-id': 'evt_b', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook(right, 'evt_a', now, body) }),
      401,
      'signed for another id',
    );
    assert.equal(
      await post({
        'webhook-id': 'evt_a',
        'webhook-timestamp': String(now - 600),
        'webhook-signature': signWebhook(right, 'evt_a', now - 600, body),
      }),
      401,
      'ten minutes old',
    );
    assert.equal(await post({ 'webhook-id': 'evt_a', 'webhook-timestamp': String(now) }), 401, 'no signature');
  });
});
