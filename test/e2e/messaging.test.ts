// Applications send and receive through the daemon: the send API and its durable outbox, signed
// webhooks retried until delivered, across restarts and kill -9. The receivers are on loopback.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { writeSimPage } from '../sim';
import { ADMIN_TOKEN, Daemon } from '../support/daemon';
import { attachPhone, scanAndWaitReady } from '../support/phone';
import { Scrape } from '../support/prometheus';
import { useScene } from '../support/scene';
import { eventually } from '../support/wait';
import { type VerifiedEvent, WebhookReceiver } from '../support/webhook-receiver';
import { API_TOKEN, postMessage, whenSent } from '../support/messages-api';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

interface EventBody {
  readonly type: string;
  readonly timestamp: string;
  readonly data: Record<string, unknown>;
}

function env(receiver: WebhookReceiver): Record<string, string> {
  return {
    API_TOKEN,
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_RETRY_BASE_MS: '200',
    WEBHOOK_RETRY_MAX_MS: '1000',
    SEND_RATE_PER_MINUTE: '600',
    SEND_CHAT_GAP_MS: '0',
  };
}

/** Every verified event the receiver got, in order (a bad signature or a body off the contract throws). */
const events = (receiver: WebhookReceiver): Array<VerifiedEvent<EventBody>> => receiver.events<EventBody>(SECRET);

describe('sending and receiving through the daemon', { timeout: 240_000 }, () => {
  const receivers: WebhookReceiver[] = [];
  let receiver: WebhookReceiver;
  const scene = useScene(async () => {
    receiver = await WebhookReceiver.start();
    receivers.push(receiver);
    scene.daemon = await Daemon.start(scene.sandbox, { env: env(receiver) });
    scene.phone = await attachPhone(scene.daemon);
    await scanAndWaitReady(scene.daemon, scene.phone);
  });
  after(async () => {
    for (const r of receivers) await r.close();
  });

  it('an API send shows in the phone as sent; its status and a signed message.status webhook follow', async () => {
    assert.ok(scene.phone);
    await scene.phone.clearOutbox();
    const { status, body } = await postMessage(scene.daemon, { to: '+1 555 000 2222', text: 'your order shipped' });
    assert.equal(status, 202);
    assert.equal(body.to, '15550002222@c.us');
    const sent = await whenSent(scene.daemon, body.id, 'sent');
    const outbox = await scene.phone.outbox();
    assert.deepEqual(
      outbox.map((o) => [o.to, o.body, o.id]),
      [['15550002222@c.us', 'your order shipped', sent.waMessageId]],
    );
    assert.equal(sent.attempts, 1);
    await eventually(
      async () => (events(receiver).some((e) => e.type === 'message.status' && e.data.id === body.id && e.data.status === 'sent') ? true : undefined),
      'message.status sent',
    );
    const statusEvent = events(receiver).find((e) => e.type === 'message.status' && e.data.id === body.id);
    assert.deepEqual(statusEvent?.data, { id: body.id, status: 'sent', waMessageId: sent.waMessageId, error: null });
  });

  it('an incoming message reaches the receiver signed, with what an application needs; it answers with replyTo', async () => {
    assert.ok(scene.phone);
    await scene.phone.clearOutbox();
    const incoming = await scene.phone.incoming({ from: '15550004444', body: 'where is my order?', notifyName: 'Dana' });
    const event = await eventually(async () => events(receiver).find((e) => e.type === 'message' && e.data.id === incoming.id), 'the message event');
    assert.deepEqual(
      { ...event.data, timestamp: typeof event.data.timestamp },
      {
        id: incoming.id,
        chatId: '15550004444@c.us',
        from: '15550004444@c.us',
        author: null,
        body: 'where is my order?',
        type: 'chat',
        timestamp: 'number',
        isGroup: false,
        notifyName: 'Dana',
        hasMedia: false,
        media: null,
      },
    );
    assert.match(event.webhookId, /^evt_/);
    const reply = await postMessage(scene.daemon, { to: String(event.data.chatId), text: 'it ships today', replyTo: incoming.id });
    assert.equal(reply.status, 202);
    const quoted = await eventually(async () => (await scene.phone?.outbox())?.find((o) => o.body === 'it ships today'), 'the reply on the phone');
    assert.equal(quoted.quotedMsgId, incoming.id, 'the reply quotes the message');
  });

  it('a group message carries the group as chatId and the member as author', async () => {
    assert.ok(scene.phone);
    const incoming = await scene.phone.incoming({ from: '120363000000000001@g.us', author: '15550005555@c.us', body: 'hi all' });
    const event = await eventually(
      async () => events(receiver).find((e) => e.type === 'message' && e.data.id === incoming.id),
      'the group message event',
    );
    assert.deepEqual(
      [event.data.chatId, event.data.from, event.data.author, event.data.isGroup],
      ['120363000000000001@g.us', '15550005555@c.us', '15550005555@c.us', true],
    );
  });

  it('a receiver that fails twice gets the event on the third try, with the same webhook-id', async () => {
    assert.ok(scene.phone);
    receiver.script.push(500, 502);
    const before = receiver.received.length;
    const incoming = await scene.phone.incoming({ from: '15550006666', body: 'retry me' });
    await receiver.waitFor(before + 3);
    const attempts = receiver.received.slice(before, before + 3).map((r) => ({ id: r.headers['webhook-id'], body: r.body }));
    assert.equal(new Set(attempts.map((a) => a.id)).size, 1, JSON.stringify(attempts.map((a) => a.id)));
    assert.equal(new Set(attempts.map((a) => a.body)).size, 1);
    assert.equal((JSON.parse(attempts[0]?.body ?? '{}') as EventBody).data.id, incoming.id);
    await eventually(async () => {
      const res = await fetch(scene.daemon.url('/api/webhooks/deliveries?status=delivered&limit=200'), {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const list = (await res.json()) as { deliveries: Array<{ eventId: string; attempts: number }> };
      return list.deliveries.find((d) => d.eventId === attempts[0]?.id && d.attempts === 3);
    }, 'delivered after 3 attempts');
  });

  it('the bot answers through the outbox: !ping gets pong, quoting it', async () => {
    assert.ok(scene.phone);
    await scene.phone.clearOutbox();
    const ping = await scene.phone.incoming({ from: '15550007777', body: '!ping' });
    const pong = await eventually(async () => (await scene.phone?.outbox())?.find((o) => o.body === 'pong'), 'pong');
    assert.deepEqual([pong.to, pong.quotedMsgId], ['15550007777@c.us', ping.id]);
    assert.ok(
      events(receiver).some((e) => e.type === 'message' && e.data.id === ping.id),
      'the webhook saw the command too',
    );
  });

  it('GET /metrics tells the same story as status: ready, the traffic counted, the browser measured', async () => {
    const res = await fetch(scene.daemon.url('/metrics'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(res.status, 200);
    const metrics = new Scrape(await res.text());
    const status = (await scene.daemon.status()) as unknown as {
      state: string;
      counters: { messagesReceived: number; readyTransitions: number; qrShown: number };
    };
    assert.equal(status.state, 'ready');
    assert.equal(metrics.value('wa_tether_session_state', { state: 'ready' }), 1);
    assert.equal(metrics.value('wa_tether_session_state', { state: 'qr' }), 0);
    assert.equal(metrics.value('wa_tether_ready_transitions_total'), status.counters.readyTransitions);
    assert.equal(metrics.value('wa_tether_qr_shown_total'), status.counters.qrShown);
    assert.ok(metrics.value('wa_tether_messages_received_total') >= 4, 'the messages of the tests above');
    assert.ok(metrics.value('wa_tether_messages_sent_total') >= 3, 'the API sends and the pong');
    assert.ok(metrics.value('wa_tether_webhook_attempts_total', { result: 'delivered' }) >= 4);
    assert.ok(metrics.value('wa_tether_webhook_attempts_total', { result: 'failed' }) >= 2, 'the two scripted failures');
    const browser = metrics.value('wa_tether_browser_memory_bytes');
    assert.ok(browser > 50 * 1024 * 1024 && browser < 2 * 1024 ** 3, `browser PSS ${browser} bytes`);
    assert.ok(metrics.value('process_resident_memory_bytes') > 0);
  });

  it('a receiver that is down while the daemon restarts still gets the event', async () => {
    assert.ok(scene.phone);
    const port = receiver.port;
    await receiver.close();
    const incoming = await scene.phone.incoming({ from: '15550008888', body: 'sent while you were away' });
    await eventually(async () => {
      const res = await fetch(scene.daemon.url('/api/webhooks/deliveries?status=failed'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return ((await res.json()) as { deliveries: unknown[] }).deliveries.length > 0 ? true : undefined;
    }, 'a failed delivery');
    await scene.phone.detach();
    scene.phone = undefined;
    assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
    scene.daemon = await Daemon.start(scene.sandbox, { env: env(receiver) });
    await scene.daemon.waitForState('ready');
    receiver = await WebhookReceiver.start({ port });
    receivers.push(receiver);
    await eventually(
      async () => (events(receiver).some((e) => e.type === 'message' && e.data.id === incoming.id) ? true : undefined),
      'the event after the restart',
      20_000,
    );
  });

  it('a send accepted while starting, the daemon stopped before ready, is delivered after the next start, once', async () => {
    assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
    // A page slow to sync keeps the next daemon out of ready for a while.
    await writeSimPage(scene.sandbox.cachePath, { qrRotateMs: 0, syncDelayMs: 10_000 });
    scene.daemon = await Daemon.start(scene.sandbox, { env: env(receiver) });
    const accepted = await postMessage(scene.daemon, { to: '15550009999', text: 'accepted while starting' });
    assert.equal(accepted.status, 202);
    assert.notEqual((await scene.daemon.status()).state, 'ready');
    assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
    await writeSimPage(scene.sandbox.cachePath, { qrRotateMs: 0 });
    scene.daemon = await Daemon.start(scene.sandbox, { env: env(receiver) });
    const sent = await whenSent(scene.daemon, accepted.body.id, 'sent after the restart', 30_000);
    scene.phone = await attachPhone(scene.daemon);
    const copies = (await scene.phone.outbox()).filter((o) => o.body === 'accepted while starting');
    assert.deepEqual(
      copies.map((o) => o.id),
      [sent.waMessageId],
      'exactly once',
    );
  });

  it('kill -9 right after the 202: the message was committed, and is delivered after the restart, once', async () => {
    await scene.phone?.detach();
    scene.phone = undefined;
    assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
    await writeSimPage(scene.sandbox.cachePath, { qrRotateMs: 0, syncDelayMs: 10_000 });
    scene.daemon = await Daemon.start(scene.sandbox, { env: env(receiver) });
    const accepted = await postMessage(scene.daemon, { to: '15550001010', text: 'survives kill -9' });
    assert.equal(accepted.status, 202);
    assert.equal((await scene.daemon.stop('SIGKILL')).signal, 'SIGKILL');
    await writeSimPage(scene.sandbox.cachePath, { qrRotateMs: 0 });
    scene.daemon = await Daemon.start(scene.sandbox, { env: env(receiver) });
    const sent = await whenSent(scene.daemon, accepted.body.id, 'sent after kill -9 and a restart', 30_000);
    scene.phone = await attachPhone(scene.daemon);
    assert.deepEqual(
      (await scene.phone.outbox()).filter((o) => o.body === 'survives kill -9').map((o) => o.id),
      [sent.waMessageId],
    );
  });
});
