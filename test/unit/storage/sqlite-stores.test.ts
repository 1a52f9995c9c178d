import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../../src/storage/sqlite/migrations';
import { openDatabase } from '../../../src/storage/sqlite/open-database';
import { messageStatusEvent } from '../../../src/webhooks/event-drafts';
import { FakeClock } from '../../support/fake-clock';
import { createTestStores, type TestStores } from '../../support/test-messaging';

const opened: TestStores[] = [];
function stores(clock = new FakeClock()): TestStores & { clock: FakeClock } {
  const s = createTestStores(clock);
  opened.push(s);
  return { ...s, clock };
}
after(() => {
  for (const s of opened) s.dispose();
});

const msg = (id: string, chatId: string, at: number, idempotency: { key: string; fingerprint: string } | null = null) =>
  ({ id, chatId, text: `text of ${id}`, replyTo: null, source: 'api' as const, createdAt: at, idempotency });

describe('openDatabase', () => {
  it('creates the file 0600, in WAL mode with synchronous FULL, at the latest schema version', () => {
    const s = stores();
    assert.equal(statSync(s.file).mode & 0o777, 0o600);
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('synchronous', { simple: true }), 2, 'FULL');
    assert.equal(s.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  });

  it('opening again migrates nothing twice, and a file from a newer version is refused with what to do', () => {
    const s = stores();
    s.db.close();
    const again = openDatabase(s.file);
    assert.equal(again.pragma('user_version', { simple: true }), MIGRATIONS.length);
    again.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    again.close();
    assert.throws(() => openDatabase(s.file), /newer than this wa-tether knows.*To resolve/);
  });
});

describe('SqliteOutboxStore', () => {
  it('commits before enqueue resolves: another connection (another process) sees the message at once', async () => {
    const s = stores();
    await s.outboxStore.enqueue(msg('msg_1', '15550001111@c.us', 1));
    const reader = new Database(s.file, { readonly: true });
    try {
      assert.equal((reader.prepare('SELECT status FROM outbox WHERE id = ?').get('msg_1') as { status: string }).status, 'queued');
    } finally {
      reader.close();
    }
  });

  it('an accepted message survives the writer being killed with SIGKILL right after enqueue', async () => {
    const s = stores();
    s.db.close();
    const script = `
      const { openDatabase } = require(${JSON.stringify(require.resolve('../../../src/storage/sqlite/open-database'))});
      const db = openDatabase(${JSON.stringify(s.file)});
      db.prepare("INSERT INTO outbox (id, chat_id, text, source, status, created_at, next_attempt_at) VALUES ('msg_killed', 'x@c.us', 'hi', 'api', 'queued', 1, 1)").run();
      process.stdout.write('committed\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('committed') && resolve()));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const reopened = openDatabase(s.file);
    try {
      assert.equal((reopened.prepare('SELECT COUNT(*) AS n FROM outbox WHERE id = ?').get('msg_killed') as { n: number }).n, 1);
    } finally {
      reopened.close();
    }
  });

  it('idempotency: the same key and body finds the first message; another body is a conflict', async () => {
    const s = stores();
    const first = await s.outboxStore.enqueue(msg('msg_a', 'x@c.us', 1, { key: 'k1', fingerprint: 'f1' }));
    assert.equal(first.kind, 'created');
    const again = await s.outboxStore.enqueue(msg('msg_b', 'x@c.us', 2, { key: 'k1', fingerprint: 'f1' }));
    assert.deepEqual([again.kind, again.record.id], ['replayed', 'msg_a']);
    const other = await s.outboxStore.enqueue(msg('msg_c', 'x@c.us', 3, { key: 'k1', fingerprint: 'f2' }));
    assert.deepEqual([other.kind, other.record.id], ['conflict', 'msg_a']);
    assert.equal((await s.outboxStore.list({ limit: 10 })).messages.length, 1, 'nothing more was queued');
  });

  it('heads: the first unfinished message of each chat, in order; a message waits for the one before it', async () => {
    const s = stores();
    await s.outboxStore.enqueue(msg('a1', 'a@c.us', 1));
    await s.outboxStore.enqueue(msg('b1', 'b@c.us', 2));
    await s.outboxStore.enqueue(msg('a2', 'a@c.us', 3));
    assert.deepEqual((await s.outboxStore.heads(10)).map((h) => h.id), ['a1', 'b1']);
    await s.outboxStore.markSending('a1');
    assert.deepEqual((await s.outboxStore.heads(10)).map((h) => `${h.id}:${h.status}`), ['a1:sending', 'b1:queued'], 'a2 still waits behind a1');
    await s.outboxStore.markSent('a1', { waMessageId: 'wa1', sentAt: 10 });
    assert.deepEqual((await s.outboxStore.heads(10)).map((h) => h.id), ['b1', 'a2']);
  });

  it('a status change and its webhook events commit together', async () => {
    const s = stores();
    await s.outboxStore.enqueue(msg('m1', 'a@c.us', 1));
    const record = await s.outboxStore.get('m1');
    assert.ok(record);
    const event = messageStatusEvent({ ...record, waMessageId: 'wa1' }, 'sent', null, 5);
    await s.outboxStore.markSent('m1', { waMessageId: 'wa1', sentAt: 5 }, [event]);
    const sent = await s.outboxStore.get('m1');
    assert.deepEqual([sent?.status, sent?.attempts, sent?.waMessageId], ['sent', 1, 'wa1']);
    const due = await s.webhooks.due(5, 10);
    assert.deepEqual(due.map((d) => [d.eventId, d.eventType]), [[event.id, 'message.status']]);
    // A duplicate event id (a bug) rolls back the status change with it.
    await s.outboxStore.enqueue(msg('m2', 'a@c.us', 6));
    await assert.rejects(s.outboxStore.markSent('m2', { waMessageId: 'wa2', sentAt: 7 }, [event]));
    assert.equal((await s.outboxStore.get('m2'))?.status, 'queued', 'not sent: the transaction was rolled back');
  });

  it('a message left sending by a stopped daemon is queued again, its attempt counted and the doubt said', async () => {
    const s = stores();
    await s.outboxStore.enqueue(msg('m1', 'a@c.us', 1));
    await s.outboxStore.markSending('m1');
    assert.equal(await s.outboxStore.requeueInterrupted(100), 1);
    const record = await s.outboxStore.get('m1');
    assert.deepEqual([record?.status, record?.attempts, record?.error?.code], ['queued', 1, 'INTERRUPTED']);
    assert.match(record?.error?.message ?? '', /may show it twice/);
  });

  it('lists newest first, by status, a page at a time', async () => {
    const s = stores();
    for (let i = 1; i <= 5; i++) await s.outboxStore.enqueue(msg(`m${i}`, 'a@c.us', i));
    await s.outboxStore.markFailed('m2', { code: 'NOT_ON_WHATSAPP', message: 'no' }, 10);
    const first = await s.outboxStore.list({ limit: 2 });
    assert.deepEqual(first.messages.map((m) => m.id), ['m5', 'm4']);
    assert.ok(first.next !== null);
    const second = await s.outboxStore.list({ limit: 2, before: first.next });
    assert.deepEqual(second.messages.map((m) => m.id), ['m3', 'm2']);
    const last = await s.outboxStore.list({ limit: 2, before: second.next ?? undefined });
    assert.deepEqual([last.messages.map((m) => m.id), last.next], [['m1'], null]);
    assert.deepEqual((await s.outboxStore.list({ limit: 10, status: 'failed' })).messages.map((m) => m.id), ['m2']);
  });

  it('counts by status with the age of the oldest waiting message; prunes only finished ones', async () => {
    const s = stores();
    await s.outboxStore.enqueue(msg('old', 'a@c.us', 1_000));
    await s.outboxStore.enqueue(msg('new', 'b@c.us', 5_000));
    await s.outboxStore.markSent('new', { waMessageId: 'w', sentAt: 6_000 });
    assert.deepEqual(await s.outboxStore.counts(11_000), { queued: 1, sending: 0, sent: 1, failed: 0, oldestPendingAgeMs: 10_000 });
    assert.equal(await s.outboxStore.prune(7_000), 1);
    assert.equal(await s.outboxStore.get('new'), null);
    assert.ok(await s.outboxStore.get('old'), 'a queued message is never pruned');
  });
});

describe('SqliteWebhookStore', () => {
  const event = (id: string, at: number) => ({ id, type: 'message' as const, body: `{"type":"message","n":"${id}"}`, createdAt: at });

  it('records one pending delivery per URL, nothing when no URL wants the type', async () => {
    const clock = new FakeClock();
    const s = createTestStores(clock, { urls: ['http://a.example/in', 'http://b.example/in'], events: new Set(['message']) });
    opened.push(s);
    assert.equal(await s.webhooks.record(event('evt_1', 1)), true);
    assert.equal(await s.webhooks.record({ ...event('evt_2', 1), type: 'session.status' }), false);
    const due = await s.webhooks.due(1, 10);
    assert.deepEqual(due.map((d) => [d.eventId, d.url, d.status]).sort(), [
      ['evt_1', 'http://a.example/in', 'pending'],
      ['evt_1', 'http://b.example/in', 'pending'],
    ]);
  });

  it('failed deliveries come due at their time; dead ones never; a retry makes a dead one due now with a new window', async () => {
    const s = stores();
    await s.webhooks.record(event('evt_1', 1));
    const [delivery] = await s.webhooks.due(1, 10);
    assert.ok(delivery);
    await s.webhooks.markFailed(delivery.id, { attempts: 1, nextAttemptAt: 500, error: 'HTTP 500', statusCode: 500 });
    assert.deepEqual(await s.webhooks.due(499, 10), []);
    assert.equal(await s.webhooks.nextDueAt(), 500);
    assert.equal((await s.webhooks.due(500, 10)).length, 1);
    await s.webhooks.markDead(delivery.id, { attempts: 7, at: 900, error: 'ECONNREFUSED', statusCode: null });
    assert.deepEqual(await s.webhooks.due(10_000, 10), []);
    assert.equal((await s.webhooks.counts(1_000)).dead, 1);
    const retried = await s.webhooks.retry(delivery.id, 2_000);
    assert.deepEqual([retried?.status, retried?.retryFrom, retried?.nextAttemptAt, retried?.attempts], ['pending', 2_000, 2_000, 7]);
    assert.equal(await s.webhooks.retry(delivery.id, 2_000), null, 'a pending delivery is not retried again');
    await s.webhooks.markDelivered(delivery.id, 2_100, 204);
    assert.deepEqual((await s.webhooks.counts(3_000)), { pending: 0, failed: 0, dead: 0, delivered: 1, oldestPendingAgeMs: null, lastError: null });
    assert.equal(await s.webhooks.prune(3_000), 1);
    assert.equal(await s.webhooks.get(delivery.id), null);
  });
});
