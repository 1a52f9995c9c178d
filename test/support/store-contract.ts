import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createHash } from 'node:crypto';
import type { MediaStore, OutboxMedia } from '../../src/storage/media-store';
import type { OutboxStore } from '../../src/storage/outbox-store';
import type { WebhookRouting, WebhookStore } from '../../src/storage/webhook-store';
import type { WebhookEventType } from '../../src/config/event-types';
import { messageStatusEvent } from '../../src/webhooks/event-drafts';

/** One account's stores, fresh and empty, from whichever database is under test. */
export interface ContractStores {
  outboxStore: OutboxStore;
  webhooks: WebhookStore;
  media: MediaStore;
}

export type OpenContractStores = (routing?: WebhookRouting) => Promise<ContractStores>;

export const ALL_EVENTS: WebhookRouting = {
  urls: ['http://127.0.0.1:9/hooks'],
  events: new Set<WebhookEventType>(['message', 'message.status', 'session.status']),
};

export const msg = (id: string, chatId: string, at: number, idempotency: { key: string; fingerprint: string } | null = null) => ({
  id,
  chatId,
  text: `text of ${id}`,
  media: null,
  replyTo: null,
  source: 'api' as const,
  createdAt: at,
  idempotency,
});

export const event = (id: string, at: number) => ({ id, type: 'message' as const, body: `{"type":"message","n":"${id}"}`, createdAt: at });

/**
 * What every OutboxStore promises, whichever database keeps it: the sender, the API and the
 * backlog monitor are written against the port, so SQLite and PostgreSQL must answer alike.
 * Call inside a describe; `open` gives each test an account of its own.
 */
export function outboxStoreContract(open: OpenContractStores): void {
  it('idempotency: the same key and body finds the first message; another body is a conflict', async () => {
    const s = await open();
    const first = await s.outboxStore.enqueue(msg('msg_a', 'x@c.us', 1, { key: 'k1', fingerprint: 'f1' }));
    assert.equal(first.kind, 'created');
    const again = await s.outboxStore.enqueue(msg('msg_b', 'x@c.us', 2, { key: 'k1', fingerprint: 'f1' }));
    assert.deepEqual([again.kind, again.record.id], ['replayed', 'msg_a']);
    assert.deepEqual(again.record, first.record);
    const other = await s.outboxStore.enqueue(msg('msg_c', 'x@c.us', 3, { key: 'k1', fingerprint: 'f2' }));
    assert.deepEqual([other.kind, other.record.id], ['conflict', 'msg_a']);
    assert.equal((await s.outboxStore.list({ limit: 10 })).messages.length, 1, 'nothing more was queued');
  });

  it('five concurrent enqueues with one key: exactly one is created, never a unique-violation error', async () => {
    const s = await open();
    const same = await Promise.all([1, 2, 3, 4, 5].map((i) => s.outboxStore.enqueue(msg(`same_${i}`, 'x@c.us', i, { key: 'k', fingerprint: 'f' }))));
    assert.deepEqual(same.map((r) => r.kind).sort(), ['created', 'replayed', 'replayed', 'replayed', 'replayed']);
    const createdId = same.find((r) => r.kind === 'created')?.record.id;
    assert.ok(
      same.every((r) => r.record.id === createdId),
      'every caller is told about the one message',
    );
    const mixed = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => s.outboxStore.enqueue(msg(`mixed_${i}`, 'x@c.us', i, { key: 'k2', fingerprint: `f${i}` }))),
    );
    assert.deepEqual(mixed.map((r) => r.kind).sort(), ['conflict', 'conflict', 'conflict', 'conflict', 'created']);
    assert.equal((await s.outboxStore.counts(10)).queued, 2);
  });

  it('heads: the first unfinished message of each chat, in order; a message waits for the one before it', async () => {
    const s = await open();
    await s.outboxStore.enqueue(msg('a1', 'a@c.us', 1));
    await s.outboxStore.enqueue(msg('b1', 'b@c.us', 2));
    await s.outboxStore.enqueue(msg('a2', 'a@c.us', 3));
    assert.deepEqual(
      (await s.outboxStore.heads(10)).map((h) => h.id),
      ['a1', 'b1'],
    );
    assert.deepEqual(
      (await s.outboxStore.heads(1)).map((h) => h.id),
      ['a1'],
    );
    await s.outboxStore.markSending('a1');
    assert.deepEqual(
      (await s.outboxStore.heads(10)).map((h) => `${h.id}:${h.status}`),
      ['a1:sending', 'b1:queued'],
      'a2 still waits behind a1',
    );
    await s.outboxStore.markSent('a1', { waMessageId: 'wa1', sentAt: 10 });
    assert.deepEqual(
      (await s.outboxStore.heads(10)).map((h) => h.id),
      ['b1', 'a2'],
    );
  });

  it('a status change and its webhook events commit together', async () => {
    const s = await open();
    await s.outboxStore.enqueue(msg('m1', 'a@c.us', 1));
    const record = await s.outboxStore.get('m1');
    assert.ok(record);
    const sentEvent = messageStatusEvent({ ...record, waMessageId: 'wa1' }, 'sent', null, 5);
    await s.outboxStore.markSent('m1', { waMessageId: 'wa1', sentAt: 5 }, [sentEvent]);
    const sent = await s.outboxStore.get('m1');
    assert.deepEqual([sent?.status, sent?.attempts, sent?.waMessageId, sent?.sentAt], ['sent', 1, 'wa1', 5]);
    assert.equal((await s.outboxStore.findByWaMessageId('wa1'))?.id, 'm1');
    assert.deepEqual(
      (await s.webhooks.due(5, 10)).map((d) => [d.eventId, d.eventType, d.body]),
      [[sentEvent.id, 'message.status', sentEvent.body]],
    );
    // A duplicate event id (a bug) rolls back the status change with it.
    await s.outboxStore.enqueue(msg('m2', 'a@c.us', 6));
    await assert.rejects(s.outboxStore.markSent('m2', { waMessageId: 'wa2', sentAt: 7 }, [sentEvent]));
    assert.equal((await s.outboxStore.get('m2'))?.status, 'queued', 'not sent: the transaction was rolled back');
    // markFailed carries its events the same way.
    const failedEvent = messageStatusEvent({ id: 'm2', waMessageId: null }, 'failed', { code: 'NOT_ON_WHATSAPP', message: 'no' }, 8);
    await s.outboxStore.markFailed('m2', { code: 'NOT_ON_WHATSAPP', message: 'no' }, 8, [failedEvent]);
    const failed = await s.outboxStore.get('m2');
    assert.deepEqual([failed?.status, failed?.attempts, failed?.error], ['failed', 1, { code: 'NOT_ON_WHATSAPP', message: 'no' }]);
    assert.deepEqual(
      (await s.webhooks.due(8, 10)).map((d) => d.eventId),
      [sentEvent.id, failedEvent.id],
    );
  });

  it('retries: back to queued at the given time, counting the attempt only when it reached WhatsApp', async () => {
    const s = await open();
    await s.outboxStore.enqueue(msg('m1', 'a@c.us', 1));
    await s.outboxStore.markSending('m1');
    await s.outboxStore.markRetry('m1', { error: { code: 'NOT_READY', message: 'later' }, nextAttemptAt: 50, attempted: false });
    await s.outboxStore.markRetry('m1', { error: { code: 'SEND_FAILED', message: 'again' }, nextAttemptAt: 90, attempted: true });
    const record = await s.outboxStore.get('m1');
    assert.deepEqual([record?.status, record?.attempts, record?.nextAttemptAt, record?.error?.code], ['queued', 1, 90, 'SEND_FAILED']);
  });

  it('a message left sending by a stopped daemon is queued again, its attempt counted and the doubt said', async () => {
    const s = await open();
    await s.outboxStore.enqueue(msg('m1', 'a@c.us', 1));
    await s.outboxStore.markSending('m1');
    assert.equal(await s.outboxStore.requeueInterrupted(100), 1);
    const record = await s.outboxStore.get('m1');
    assert.deepEqual([record?.status, record?.attempts, record?.error?.code, record?.nextAttemptAt], ['queued', 1, 'INTERRUPTED', 100]);
    assert.match(record?.error?.message ?? '', /may show it twice/);
    assert.equal(await s.outboxStore.requeueInterrupted(200), 0);
  });

  it('lists newest first, by status, a page at a time', async () => {
    const s = await open();
    for (let i = 1; i <= 5; i++) await s.outboxStore.enqueue(msg(`m${i}`, 'a@c.us', i));
    await s.outboxStore.markFailed('m2', { code: 'NOT_ON_WHATSAPP', message: 'no' }, 10);
    const first = await s.outboxStore.list({ limit: 2 });
    assert.deepEqual(
      first.messages.map((m) => m.id),
      ['m5', 'm4'],
    );
    assert.equal(typeof first.next, 'number', 'the cursor is a number (PostgreSQL returns BIGINT as a string unless told)');
    const second = await s.outboxStore.list({ limit: 2, before: first.next ?? undefined });
    assert.deepEqual(
      second.messages.map((m) => m.id),
      ['m3', 'm2'],
    );
    const last = await s.outboxStore.list({ limit: 2, before: second.next ?? undefined });
    assert.deepEqual([last.messages.map((m) => m.id), last.next], [['m1'], null]);
    assert.deepEqual(
      (await s.outboxStore.list({ limit: 10, status: 'failed' })).messages.map((m) => m.id),
      ['m2'],
    );
  });

  it('counts by status with the age of the oldest waiting message; prunes only finished ones', async () => {
    const s = await open();
    assert.deepEqual(await s.outboxStore.counts(1), { queued: 0, sending: 0, sent: 0, failed: 0, oldestPendingAgeMs: null });
    await s.outboxStore.enqueue(msg('old', 'a@c.us', 1_000));
    await s.outboxStore.enqueue(msg('new', 'b@c.us', 5_000));
    await s.outboxStore.markSent('new', { waMessageId: 'w', sentAt: 6_000 });
    assert.deepEqual(await s.outboxStore.counts(11_000), { queued: 1, sending: 0, sent: 1, failed: 0, oldestPendingAgeMs: 10_000 });
    assert.equal(await s.outboxStore.prune(6_000), 0, 'finished at 6000 is not before 6000');
    assert.equal(await s.outboxStore.prune(7_000), 1);
    assert.equal(await s.outboxStore.get('new'), null);
    assert.ok(await s.outboxStore.get('old'), 'a queued message is never pruned');
  });
}

/** What every WebhookStore promises, whichever database keeps it. */
export function webhookStoreContract(open: OpenContractStores): void {
  it('records one pending delivery per URL, nothing when no URL wants the type', async () => {
    const s = await open({ urls: ['http://a.example/in', 'http://b.example/in'], events: new Set(['message']) });
    assert.equal(await s.webhooks.record(event('evt_1', 1)), true);
    assert.equal(await s.webhooks.record({ ...event('evt_2', 1), type: 'session.status' }), false);
    const due = await s.webhooks.due(1, 10);
    assert.deepEqual(due.map((d) => [d.eventId, d.url, d.status]).sort(), [
      ['evt_1', 'http://a.example/in', 'pending'],
      ['evt_1', 'http://b.example/in', 'pending'],
    ]);
    assert.equal(new Set(due.map((d) => d.id)).size, 2, 'each delivery has its own id');
  });

  it('failed deliveries come due at their time; dead ones never; a retry makes a dead one due now with a new window', async () => {
    const s = await open();
    await s.webhooks.record(event('evt_1', 1));
    const [delivery] = await s.webhooks.due(1, 10);
    assert.ok(delivery);
    assert.equal(await s.webhooks.retry(delivery.id, 2), null, 'a pending delivery is not retried');
    await s.webhooks.markFailed(delivery.id, { attempts: 1, nextAttemptAt: 500, error: 'HTTP 500', statusCode: 500 });
    assert.deepEqual(await s.webhooks.due(499, 10), []);
    assert.equal(await s.webhooks.nextDueAt(), 500);
    assert.equal((await s.webhooks.due(500, 10)).length, 1);
    assert.deepEqual(await s.webhooks.counts(101), { pending: 0, failed: 1, dead: 0, delivered: 0, oldestPendingAgeMs: 100, lastError: 'HTTP 500' });
    await s.webhooks.markDead(delivery.id, { attempts: 7, at: 900, error: 'ECONNREFUSED', statusCode: null });
    assert.deepEqual(await s.webhooks.due(10_000, 10), []);
    assert.equal(await s.webhooks.nextDueAt(), null);
    assert.deepEqual(
      (await s.webhooks.list({ status: 'dead', limit: 10 })).map((d) => [d.id, d.lastError, d.lastStatusCode]),
      [[delivery.id, 'ECONNREFUSED', null]],
    );
    assert.equal((await s.webhooks.counts(1_000)).dead, 1);
    assert.equal(await s.webhooks.prune(1_000), 1, 'a dead delivery is pruned like a delivered one');
    assert.equal(await s.webhooks.get(delivery.id), null);

    await s.webhooks.record(event('evt_2', 1_000));
    const [second] = await s.webhooks.due(1_000, 10);
    assert.ok(second);
    await s.webhooks.markDead(second.id, { attempts: 7, at: 1_100, error: 'ECONNREFUSED', statusCode: null });
    const retried = await s.webhooks.retry(second.id, 2_000);
    assert.deepEqual(
      [retried?.status, retried?.retryFrom, retried?.nextAttemptAt, retried?.attempts, retried?.eventType, retried?.body],
      ['pending', 2_000, 2_000, 7, 'message', event('evt_2', 0).body],
    );
    assert.equal(await s.webhooks.retry(second.id, 2_000), null, 'a pending delivery is not retried again');
    await s.webhooks.markDelivered(second.id, 2_100, 204);
    const delivered = await s.webhooks.get(second.id);
    assert.deepEqual(
      [delivered?.status, delivered?.attempts, delivered?.deliveredAt, delivered?.lastStatusCode, delivered?.lastError],
      ['delivered', 8, 2_100, 204, null],
    );
    assert.deepEqual(await s.webhooks.counts(3_000), { pending: 0, failed: 0, dead: 0, delivered: 1, oldestPendingAgeMs: null, lastError: null });
    assert.equal(await s.webhooks.prune(2_100), 0, 'delivered at 2100 is not before 2100');
    assert.equal(await s.webhooks.prune(3_000), 1);
    assert.equal(await s.webhooks.get(second.id), null);
  });

  it('lists newest first, by status, at most `limit`', async () => {
    const s = await open();
    for (let i = 1; i <= 3; i++) await s.webhooks.record(event(`evt_${i}`, i * 10));
    assert.deepEqual(
      (await s.webhooks.list({ limit: 2 })).map((d) => d.eventId),
      ['evt_3', 'evt_2'],
    );
    const oldest = (await s.webhooks.list({ limit: 10 })).at(-1);
    assert.ok(oldest);
    await s.webhooks.markFailed(oldest.id, { attempts: 1, nextAttemptAt: 99, error: 'HTTP 502', statusCode: 502 });
    assert.deepEqual(
      (await s.webhooks.list({ status: 'failed', limit: 10 })).map((d) => d.eventId),
      ['evt_1'],
    );
    assert.deepEqual(
      (await s.webhooks.list({ status: 'pending', limit: 10 })).map((d) => d.eventId),
      ['evt_3', 'evt_2'],
    );
  });
}

const HOUR = 3_600_000;

/** A file and what a queued message would record of it. */
export function mediaFile(content: string, kind: OutboxMedia['kind'] = 'document'): { bytes: Buffer; facts: OutboxMedia } {
  const bytes = Buffer.from(content);
  return {
    bytes,
    facts: {
      mimetype: 'text/plain',
      filename: `${content.slice(0, 8)}.txt`,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      kind,
      options: { asDocument: kind === 'document', asVoice: false, asSticker: false },
    },
  };
}

/** What every MediaStore promises: bytes under their hash, kept while anything needs them, then gone. */
export function mediaStoreContract(open: OpenContractStores): void {
  it('keeps the exact bytes under their sha256; the same bytes again change nothing; an unknown hash is null', async () => {
    const s = await open();
    const file = mediaFile('invoice 2026-12: 42 EUR');
    await s.media.putFile(file.facts.sha256, file.bytes, 1);
    await s.media.putFile(file.facts.sha256, file.bytes, 2);
    assert.deepEqual(await s.media.getFile(file.facts.sha256), file.bytes);
    assert.equal(await s.media.getFile('0'.repeat(64)), null);
    assert.deepEqual(await s.media.counts(), { received: 0, pendingSends: 0, files: 1, bytes: file.bytes.length });
  });

  it('a queued message carries its file; the record shows what was committed', async () => {
    const s = await open();
    const file = mediaFile('a photo, really');
    await s.media.putFile(file.facts.sha256, file.bytes, 1);
    const created = await s.outboxStore.enqueue({ ...msg('m1', 'a@c.us', 1), text: 'the caption', media: file.facts });
    assert.deepEqual(created.record.media, file.facts);
    assert.deepEqual((await s.outboxStore.get('m1'))?.media, file.facts);
    assert.equal((await s.outboxStore.get('m1'))?.text, 'the caption');
    assert.equal((await s.media.counts()).pendingSends, 1);
  });

  it('received media: recorded, then expired after the retention, its bytes deleted once nothing needs them', async () => {
    const s = await open();
    const file = mediaFile('a receipt photo');
    await s.media.putFile(file.facts.sha256, file.bytes, 1_000);
    const { options: _options, ...facts } = file.facts;
    await s.media.recordReceived({ id: 'med_1', messageId: 'false_a@c.us_X1', createdAt: 1_000, ...facts, kind: 'image' });
    assert.deepEqual(await s.media.getReceived('med_1'), {
      id: 'med_1',
      messageId: 'false_a@c.us_X1',
      createdAt: 1_000,
      ...facts,
      kind: 'image',
      expired: false,
    });
    assert.equal(await s.media.getReceived('med_2'), null);
    assert.deepEqual(await s.media.prune(1_000 + HOUR, HOUR), { files: 0, expired: 0 }, 'not older than the retention yet');
    assert.equal((await s.media.counts()).received, 1);
    assert.deepEqual(await s.media.prune(1_001 + HOUR, HOUR), { files: 1, expired: 1 });
    assert.equal((await s.media.getReceived('med_1'))?.expired, true, 'the id is remembered, as expired');
    assert.equal(await s.media.getFile(file.facts.sha256), null);
    assert.deepEqual(await s.media.counts(), { received: 0, pendingSends: 0, files: 0, bytes: 0 });
  });

  it("a sent file's bytes stay while its message waits and for the retention after it finished", async () => {
    const s = await open();
    const file = mediaFile('contract.pdf, pretend');
    await s.media.putFile(file.facts.sha256, file.bytes, 0);
    await s.outboxStore.enqueue({ ...msg('m1', 'a@c.us', 0), media: file.facts });
    assert.deepEqual(await s.media.prune(10 * HOUR, HOUR), { files: 0, expired: 0 }, 'queued: kept however old');
    await s.outboxStore.markSending('m1');
    assert.deepEqual(await s.media.prune(10 * HOUR, HOUR), { files: 0, expired: 0 }, 'sending: kept');
    await s.outboxStore.markSent('m1', { waMessageId: 'wa1', sentAt: 10 * HOUR });
    assert.deepEqual(await s.media.prune(11 * HOUR, HOUR), { files: 0, expired: 0 }, 'finished within the retention: kept');
    assert.ok(await s.media.getFile(file.facts.sha256));
    assert.deepEqual(await s.media.prune(11 * HOUR + 1, HOUR), { files: 1, expired: 0 }, 'finished longer ago: deleted');
    assert.equal(await s.media.getFile(file.facts.sha256), null);
  });

  it('one file shared by a received message and a queued one is kept until neither needs it', async () => {
    const s = await open();
    const file = mediaFile('the same bytes twice');
    const { options: _options, ...facts } = file.facts;
    await s.media.putFile(file.facts.sha256, file.bytes, 0);
    await s.media.recordReceived({ id: 'med_a', messageId: 'false_a@c.us_X2', createdAt: 0, ...facts });
    await s.outboxStore.enqueue({ ...msg('m1', 'a@c.us', 5 * HOUR), media: file.facts });
    assert.deepEqual(await s.media.prune(5 * HOUR, HOUR), { files: 0, expired: 1 }, 'the received one expired; the queued one still needs the bytes');
    assert.ok(await s.media.getFile(file.facts.sha256));
    await s.outboxStore.markFailed('m1', { code: 'NOT_ON_WHATSAPP', message: 'no' }, 5 * HOUR);
    assert.deepEqual(await s.media.prune(7 * HOUR, HOUR), { files: 1, expired: 0 });
  });
}
