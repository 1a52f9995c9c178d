// The test receiver verifies each delivery as of when it arrived: a long run reads its first
// deliveries hours later, past the 5 minutes the package's verify() allows against the clock now.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { webhookKey } from '../../../src/common/webhook-secret';
import { signWebhook } from '../../../src/webhooks/sign';
import { WebhookReceiver } from '../../support/webhook-receiver';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const KEY = webhookKey(SECRET) as Buffer;

describe('WebhookReceiver.events', () => {
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await WebhookReceiver.start({ contract: false });
  });
  after(() => receiver.close());

  async function post(id: string, timestamp: number, body: string, signature = signWebhook(KEY, id, timestamp, body)): Promise<void> {
    const res = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature },
      body,
    });
    await res.body?.cancel();
  }

  it('takes a delivery signed when it arrived, even read two hours later', async () => {
    await post('evt_1', Math.floor(Date.now() / 1000), '{"n":1}');
    // One more, as it would have arrived two hours ago, signed then.
    const at = Date.now() - 2 * 3_600_000;
    const timestamp = Math.floor(at / 1000);
    const headers = {
      'webhook-id': 'evt_0',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(KEY, 'evt_0', timestamp, '{"n":0}'),
    };
    receiver.received.unshift({ headers, body: '{"n":0}', at });
    assert.deepEqual(receiver.events<{ n: number }>(SECRET), [
      { n: 0, webhookId: 'evt_0' },
      { n: 1, webhookId: 'evt_1' },
    ]);
  });

  it('refuses a timestamp over 5 minutes from the arrival, and a signature that does not verify', async () => {
    receiver.received.length = 0;
    await post('evt_2', Math.floor(Date.now() / 1000) - 600, '{"n":2}');
    assert.throws(() => receiver.events(SECRET), /not within 5 minutes of when the request arrived/);
    receiver.received.length = 0;
    await post('evt_3', Math.floor(Date.now() / 1000), '{"n":3}', signWebhook(KEY, 'evt_3', Math.floor(Date.now() / 1000), '{"n":4}'));
    assert.throws(() => receiver.events(SECRET), /does not verify/);
  });
});
