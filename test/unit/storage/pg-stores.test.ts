import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { systemClock } from '../../../src/common/clock';
import { AppError } from '../../../src/errors';
import { PgDatabase } from '../../../src/storage/postgres/pg-database';
import { PG_MIGRATIONS } from '../../../src/storage/postgres/pg-migrations';
import { PgOutboxStore } from '../../../src/storage/postgres/pg-outbox-store';
import { PgWebhookStore } from '../../../src/storage/postgres/pg-webhook-store';
import { messageStatusEvent } from '../../../src/webhooks/event-drafts';
import type { WebhookEventType, WebhookRouting } from '../../../src/webhooks/webhook-store';
import { postgresUnavailable, TestPostgres } from '../../support/postgres';
import { RecordingLogger } from '../../support/recording-logger';

const unavailable = postgresUnavailable();
if (unavailable !== null) console.error(`\n!!!!!!!! ${unavailable} !!!!!!!!\n`);

const ALL_EVENTS: WebhookRouting = { urls: ['http://127.0.0.1:9/hooks'], events: new Set<WebhookEventType>(['message', 'message.status', 'session.status']) };

const msg = (id: string, chatId: string, at: number, idempotency: { key: string; fingerprint: string } | null = null) =>
  ({ id, chatId, text: `text of ${id}`, replyTo: null, source: 'api' as const, createdAt: at, idempotency });

const event = (id: string, at: number) => ({ id, type: 'message' as const, body: `{"type":"message","n":"${id}"}`, createdAt: at });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL stores', { skip: unavailable ?? false }, () => {
  let server: TestPostgres;
  const opened: PgDatabase[] = [];
  let databases = 0;
  let accounts = 0;

  before(async () => {
    server = await TestPostgres.start();
  });
  after(async () => {
    for (const db of opened) await db.close();
    await server?.destroy();
  });

  /** A fresh, empty database on the shared server. */
  async function freshUrl(): Promise<string> {
    return server.createDatabase(`wa_test_${++databases}`);
  }

  function connect(url: string): PgDatabase {
    const db = new PgDatabase({ url, logger: new RecordingLogger(), clock: systemClock });
    opened.push(db);
    return db;
  }

  function account(db: PgDatabase, clientId: string, routing: WebhookRouting = ALL_EVENTS) {
    const webhooks = new PgWebhookStore(db, clientId, routing);
    return { webhooks, outboxStore: new PgOutboxStore(db, clientId, webhooks) };
  }

  /**
   * One database per describe (createdb costs a few hundred ms); each test is its own account
   * in it, a fresh client id, so the tests never see each other's rows.
   */
  function sharedDatabase() {
    let shared: { url: string; db: PgDatabase } | null = null;
    before(async () => {
      const url = await freshUrl();
      const db = connect(url);
      await db.ready();
      shared = { url, db };
    });
    return async (routing = ALL_EVENTS) => {
      assert.ok(shared, 'the database is made before the tests');
      const clientId = `acct_${++accounts}`;
      return { ...shared, clientId, ...account(shared.db, clientId, routing) };
    };
  }

  describe('PgDatabase migrations', () => {
    it('two daemons starting at once migrate once; a database from a newer version is refused with what to do', async () => {
      const url = await freshUrl();
      const [a, b] = [connect(url), connect(url)];
      await Promise.all([a.ready(), b.ready()]);
      const { rows } = await a.query<{ version: number }>('SELECT version FROM wa_tether_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), PG_MIGRATIONS.map((_, i) => i + 1));
      await a.query('INSERT INTO wa_tether_migrations (version) VALUES ($1)', [PG_MIGRATIONS.length + 1]);
      await assert.rejects(connect(url).ready(), /newer than this wa-tether knows.*To resolve/);
    });
  });

  describe('PgOutboxStore', () => {
    const stores = sharedDatabase();

    it('commits before enqueue resolves: another connection (another process) sees the message at once', async () => {
      const s = await stores();
      await s.outboxStore.enqueue(msg('msg_1', '15550001111@c.us', 1));
      const reader = new pg.Client({ connectionString: s.url });
      await reader.connect();
      try {
        const { rows } = await reader.query<{ status: string }>('SELECT status FROM wa_tether_outbox WHERE client_id = $1 AND id = $2', [s.clientId, 'msg_1']);
        assert.deepEqual(rows, [{ status: 'queued' }]);
      } finally {
        await reader.end();
      }
    });

    it('idempotency: the same key and body finds the first message; another body is a conflict', async () => {
      const s = await stores();
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
      const s = await stores();
      const same = await Promise.all([1, 2, 3, 4, 5].map((i) => s.outboxStore.enqueue(msg(`same_${i}`, 'x@c.us', i, { key: 'k', fingerprint: 'f' }))));
      assert.deepEqual(same.map((r) => r.kind).sort(), ['created', 'replayed', 'replayed', 'replayed', 'replayed']);
      const createdId = same.find((r) => r.kind === 'created')?.record.id;
      assert.ok(same.every((r) => r.record.id === createdId), 'every caller is told about the one message');
      const mixed = await Promise.all([1, 2, 3, 4, 5].map((i) => s.outboxStore.enqueue(msg(`mixed_${i}`, 'x@c.us', i, { key: 'k2', fingerprint: `f${i}` }))));
      assert.deepEqual(mixed.map((r) => r.kind).sort(), ['conflict', 'conflict', 'conflict', 'conflict', 'created']);
      assert.equal((await s.outboxStore.counts(10)).queued, 2);
    });

    it('heads: the first unfinished message of each chat, in order; a message waits for the one before it', async () => {
      const s = await stores();
      await s.outboxStore.enqueue(msg('a1', 'a@c.us', 1));
      await s.outboxStore.enqueue(msg('b1', 'b@c.us', 2));
      await s.outboxStore.enqueue(msg('a2', 'a@c.us', 3));
      assert.deepEqual((await s.outboxStore.heads(10)).map((h) => h.id), ['a1', 'b1']);
      assert.deepEqual((await s.outboxStore.heads(1)).map((h) => h.id), ['a1']);
      await s.outboxStore.markSending('a1');
      assert.deepEqual((await s.outboxStore.heads(10)).map((h) => `${h.id}:${h.status}`), ['a1:sending', 'b1:queued'], 'a2 still waits behind a1');
      await s.outboxStore.markSent('a1', { waMessageId: 'wa1', sentAt: 10 });
      assert.deepEqual((await s.outboxStore.heads(10)).map((h) => h.id), ['b1', 'a2']);
    });

    it('a status change and its webhook events commit together', async () => {
      const s = await stores();
      await s.outboxStore.enqueue(msg('m1', 'a@c.us', 1));
      const record = await s.outboxStore.get('m1');
      assert.ok(record);
      const event = messageStatusEvent({ ...record, waMessageId: 'wa1' }, 'sent', null, 5);
      await s.outboxStore.markSent('m1', { waMessageId: 'wa1', sentAt: 5 }, [event]);
      const sent = await s.outboxStore.get('m1');
      assert.deepEqual([sent?.status, sent?.attempts, sent?.waMessageId, sent?.sentAt], ['sent', 1, 'wa1', 5]);
      assert.equal((await s.outboxStore.findByWaMessageId('wa1'))?.id, 'm1');
      const due = await s.webhooks.due(5, 10);
      assert.deepEqual(due.map((d) => [d.eventId, d.eventType, d.body]), [[event.id, 'message.status', event.body]]);
      // A duplicate event id (a bug) rolls back the status change with it.
      await s.outboxStore.enqueue(msg('m2', 'a@c.us', 6));
      await assert.rejects(s.outboxStore.markSent('m2', { waMessageId: 'wa2', sentAt: 7 }, [event]));
      assert.equal((await s.outboxStore.get('m2'))?.status, 'queued', 'not sent: the transaction was rolled back');
      // markFailed carries its events the same way.
      const failedEvent = messageStatusEvent({ id: 'm2', waMessageId: null }, 'failed', { code: 'NOT_ON_WHATSAPP', message: 'no' }, 8);
      await s.outboxStore.markFailed('m2', { code: 'NOT_ON_WHATSAPP', message: 'no' }, 8, [failedEvent]);
      const failed = await s.outboxStore.get('m2');
      assert.deepEqual([failed?.status, failed?.attempts, failed?.error], ['failed', 1, { code: 'NOT_ON_WHATSAPP', message: 'no' }]);
      assert.deepEqual((await s.webhooks.due(8, 10)).map((d) => d.eventId), [event.id, failedEvent.id]);
    });

    it('retries: back to queued at the given time, counting the attempt only when it reached WhatsApp', async () => {
      const s = await stores();
      await s.outboxStore.enqueue(msg('m1', 'a@c.us', 1));
      await s.outboxStore.markSending('m1');
      await s.outboxStore.markRetry('m1', { error: { code: 'NOT_READY', message: 'later' }, nextAttemptAt: 50, attempted: false });
      await s.outboxStore.markRetry('m1', { error: { code: 'SEND_FAILED', message: 'again' }, nextAttemptAt: 90, attempted: true });
      const record = await s.outboxStore.get('m1');
      assert.deepEqual([record?.status, record?.attempts, record?.nextAttemptAt, record?.error?.code], ['queued', 1, 90, 'SEND_FAILED']);
    });

    it('a message left sending by a stopped daemon is queued again, its attempt counted and the doubt said', async () => {
      const s = await stores();
      await s.outboxStore.enqueue(msg('m1', 'a@c.us', 1));
      await s.outboxStore.markSending('m1');
      assert.equal(await s.outboxStore.requeueInterrupted(100), 1);
      const record = await s.outboxStore.get('m1');
      assert.deepEqual([record?.status, record?.attempts, record?.error?.code, record?.nextAttemptAt], ['queued', 1, 'INTERRUPTED', 100]);
      assert.match(record?.error?.message ?? '', /may show it twice/);
      assert.equal(await s.outboxStore.requeueInterrupted(200), 0);
    });

    it('lists newest first, by status, a page at a time', async () => {
      const s = await stores();
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
      assert.equal(typeof first.next, 'number', 'seq (BIGINT) comes back as a number');
    });

    it('counts by status with the age of the oldest waiting message; prunes only finished ones', async () => {
      const s = await stores();
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
  });

  describe('PgWebhookStore', () => {
    const stores = sharedDatabase();

    it('records one pending delivery per URL, nothing when no URL wants the type', async () => {
      const s = await stores({ urls: ['http://a.example/in', 'http://b.example/in'], events: new Set(['message']) });
      assert.equal(await s.webhooks.record(event('evt_1', 1)), true);
      assert.equal(await s.webhooks.record({ ...event('evt_2', 1), type: 'session.status' }), false);
      const due = await s.webhooks.due(1, 10);
      assert.deepEqual(due.map((d) => [d.eventId, d.url, d.status]).sort(), [
        ['evt_1', 'http://a.example/in', 'pending'],
        ['evt_1', 'http://b.example/in', 'pending'],
      ]);
      assert.equal(new Set(due.map((d) => d.id)).size, 2, 'each delivery has its own id');
      const { rows } = await s.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM wa_tether_webhook_events WHERE client_id = $1', [s.clientId]);
      assert.deepEqual(rows, [{ n: 1 }], 'the unwanted event was not stored');
    });

    it('failed deliveries come due at their time; dead ones never; a retry makes a dead one due now with a new window', async () => {
      const s = await stores();
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
      assert.deepEqual((await s.webhooks.list({ status: 'dead', limit: 10 })).map((d) => [d.id, d.lastError, d.lastStatusCode]), [[delivery.id, 'ECONNREFUSED', null]]);
      assert.equal((await s.webhooks.counts(1_000)).dead, 1);
      assert.equal(await s.webhooks.prune(1_000), 1, 'a dead delivery is pruned like a delivered one');
      assert.equal(await s.webhooks.get(delivery.id), null);

      await s.webhooks.record(event('evt_2', 1_000));
      const [second] = await s.webhooks.due(1_000, 10);
      assert.ok(second);
      await s.webhooks.markDead(second.id, { attempts: 7, at: 1_100, error: 'ECONNREFUSED', statusCode: null });
      const retried = await s.webhooks.retry(second.id, 2_000);
      assert.deepEqual([retried?.status, retried?.retryFrom, retried?.nextAttemptAt, retried?.attempts, retried?.eventType, retried?.body], [
        'pending',
        2_000,
        2_000,
        7,
        'message',
        event('evt_2', 0).body,
      ]);
      assert.equal(await s.webhooks.retry(second.id, 2_000), null, 'a pending delivery is not retried again');
      await s.webhooks.markDelivered(second.id, 2_100, 204);
      const delivered = await s.webhooks.get(second.id);
      assert.deepEqual([delivered?.status, delivered?.attempts, delivered?.deliveredAt, delivered?.lastStatusCode, delivered?.lastError], ['delivered', 8, 2_100, 204, null]);
      assert.deepEqual(await s.webhooks.counts(3_000), { pending: 0, failed: 0, dead: 0, delivered: 1, oldestPendingAgeMs: null, lastError: null });
      assert.equal(await s.webhooks.prune(2_100), 0, 'delivered at 2100 is not before 2100');
      assert.equal(await s.webhooks.prune(3_000), 1);
      assert.equal(await s.webhooks.get(second.id), null);
      const { rows } = await s.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM wa_tether_webhook_events WHERE client_id = $1', [s.clientId]);
      assert.deepEqual(rows, [{ n: 0 }], 'events left without deliveries are pruned with them');
    });

    it('lists newest first, by status, at most `limit`', async () => {
      const s = await stores();
      for (let i = 1; i <= 3; i++) await s.webhooks.record(event(`evt_${i}`, i * 10));
      const all = await s.webhooks.list({ limit: 2 });
      assert.deepEqual(all.map((d) => d.eventId), ['evt_3', 'evt_2']);
      const oldest = (await s.webhooks.list({ limit: 10 })).at(-1);
      assert.ok(oldest);
      await s.webhooks.markFailed(oldest.id, { attempts: 1, nextAttemptAt: 99, error: 'HTTP 502', statusCode: 502 });
      assert.deepEqual((await s.webhooks.list({ status: 'failed', limit: 10 })).map((d) => d.eventId), ['evt_1']);
      assert.deepEqual((await s.webhooks.list({ status: 'pending', limit: 10 })).map((d) => d.eventId), ['evt_3', 'evt_2']);
    });
  });

  describe('several accounts in one database', () => {
    it('two client ids never see each other’s messages, events or deliveries', async () => {
      const url = await freshUrl();
      const db = connect(url);
      const alice = account(db, 'alice');
      const bob = account(db, 'bob');
      // The same ids and the same idempotency key in both: each account has its own.
      for (const a of [alice, bob]) {
        assert.equal((await a.outboxStore.enqueue(msg('m1', 'a@c.us', 1, { key: 'k', fingerprint: 'f' }))).kind, 'created');
        assert.equal(await a.webhooks.record(event('evt_1', 1)), true);
      }
      await alice.outboxStore.enqueue(msg('m2', 'b@c.us', 2));
      await alice.outboxStore.markSending('m1');
      await bob.outboxStore.markSent('m1', { waMessageId: 'wa_bob', sentAt: 3 });

      assert.deepEqual((await alice.outboxStore.list({ limit: 10 })).messages.map((m) => m.id), ['m2', 'm1']);
      assert.deepEqual((await bob.outboxStore.list({ limit: 10 })).messages.map((m) => `${m.id}:${m.status}`), ['m1:sent']);
      assert.equal((await alice.outboxStore.get('m1'))?.status, 'sending');
      assert.equal(await alice.outboxStore.findByWaMessageId('wa_bob'), null);
      assert.deepEqual((await alice.outboxStore.heads(10)).map((h) => h.id), ['m1', 'm2']);
      assert.deepEqual(await bob.outboxStore.heads(10), []);
      assert.deepEqual(await bob.outboxStore.counts(10), { queued: 0, sending: 0, sent: 1, failed: 0, oldestPendingAgeMs: null });
      assert.equal(await bob.outboxStore.requeueInterrupted(10), 0, "alice's sending message is not bob's to requeue");
      assert.equal(await alice.outboxStore.prune(100), 0, "bob's sent message is not alice's to prune");
      assert.equal(await bob.outboxStore.prune(100), 1);

      const [aliceDelivery] = await alice.webhooks.due(1, 10);
      const [bobDelivery] = await bob.webhooks.due(1, 10);
      assert.ok(aliceDelivery && bobDelivery);
      assert.equal((await alice.webhooks.due(1, 10)).length, 1);
      assert.equal(await alice.webhooks.get(bobDelivery.id), null);
      await alice.webhooks.markDead(bobDelivery.id, { attempts: 1, at: 2, error: 'x', statusCode: null });
      assert.equal((await bob.webhooks.get(bobDelivery.id))?.status, 'pending', "alice cannot change bob's delivery");
      await bob.webhooks.markDelivered(bobDelivery.id, 2, 200);
      assert.equal(await alice.webhooks.retry(bobDelivery.id, 3), null);
      assert.deepEqual(await alice.webhooks.counts(5), { pending: 1, failed: 0, dead: 0, delivered: 0, oldestPendingAgeMs: 4, lastError: null });
      assert.equal(await alice.webhooks.nextDueAt(), 1);
      assert.equal(await bob.webhooks.nextDueAt(), null);
      assert.equal(await alice.webhooks.prune(100), 0);
      assert.equal(await bob.webhooks.prune(100), 1);
      assert.equal((await alice.webhooks.list({ limit: 10 })).length, 1, "alice's event survived bob's prune");
      assert.equal((await alice.webhooks.get(aliceDelivery.id))?.body, event('evt_1', 1).body);
    });
  });

  describe('the database server going away', () => {
    const stores = sharedDatabase();

    it('a store call fails fast with DATABASE_UNAVAILABLE while it is down, and works again after it restarts', async () => {
      const s = await stores();
      await s.outboxStore.enqueue(msg('m1', 'a@c.us', 1, { key: 'k', fingerprint: 'f' }));
      const original = await s.outboxStore.get('m1');
      assert.ok(original);

      // A transaction idle between two queries when the server goes: its connection has no
      // pool listener then, and the drop must reject the transaction, not crash the process.
      let serverDown!: () => void;
      const down = new Promise<void>((resolve) => (serverDown = resolve));
      let inside!: () => void;
      const idling = new Promise<void>((resolve) => (inside = resolve));
      const idleOutcome = s.db
        .transaction(async (client) => {
          await client.query('SELECT 1');
          inside();
          await down;
          await client.query('SELECT 1');
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      await idling;

      const restarting = server.restart(1_500);
      let failure: unknown = null;
      let tookMs = 0;
      for (const deadline = Date.now() + 10_000; failure === null && Date.now() < deadline; ) {
        const startedAt = Date.now();
        try {
          await s.outboxStore.get('m1');
          await sleep(25);
        } catch (error) {
          failure = error;
          tookMs = Date.now() - startedAt;
        }
      }
      serverDown();
      assert.ok(failure instanceof AppError, `a store call failed with an AppError, not ${String(failure)}`);
      assert.equal(failure.code, 'DATABASE_UNAVAILABLE');
      assert.match(failure.message, /Retry in a few seconds/);
      assert.ok(tookMs < 6_000, `it failed within 6 s (took ${tookMs} ms)`);
      assert.equal(s.db.status().reachable, false);
      const idleError = await idleOutcome;
      assert.ok(idleError instanceof AppError && idleError.code === 'DATABASE_UNAVAILABLE', `the idle transaction failed: ${String(idleError)}`);

      await restarting;
      assert.deepEqual(await s.outboxStore.get('m1'), original, 'the data is intact');
      assert.equal(s.db.status().reachable, true);
      const replay = await s.outboxStore.enqueue(msg('m1_again', 'a@c.us', 2, { key: 'k', fingerprint: 'f' }));
      assert.deepEqual([replay.kind, replay.record.id], ['replayed', 'm1']);
      assert.equal((await s.outboxStore.enqueue(msg('m2', 'a@c.us', 3))).kind, 'created');
      assert.deepEqual((await s.outboxStore.heads(10)).map((h) => h.id), ['m1']);
    });
  });
});
