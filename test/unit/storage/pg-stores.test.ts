import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { systemClock } from '../../../src/common/clock';
import { AppError } from '../../../src/common/errors';
import { PgDatabase } from '../../../src/storage/postgres/pg-database';
import { PG_MIGRATIONS } from '../../../src/storage/postgres/pg-migrations';
import { PgMediaStore } from '../../../src/storage/postgres/pg-media-store';
import { PgOutboxStore } from '../../../src/storage/postgres/pg-outbox-store';
import { PgWebhookStore } from '../../../src/storage/postgres/pg-webhook-store';
import type { WebhookRouting } from '../../../src/storage/webhook-store';
import { postgresUnavailable, TestPostgres } from '../../support/postgres';
import { ALL_EVENTS, event, mediaStoreContract, msg, outboxStoreContract, webhookStoreContract } from '../../support/store-contract';
import { RecordingLogger } from '../../support/recording-logger';

const unavailable = postgresUnavailable();
if (unavailable !== null) console.error(`\n!!!!!!!! ${unavailable} !!!!!!!!\n`);

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
    return { webhooks, outboxStore: new PgOutboxStore(db, clientId, webhooks), media: new PgMediaStore(db, clientId) };
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
      assert.deepEqual(
        rows.map((r) => r.version),
        PG_MIGRATIONS.map((_, i) => i + 1),
      );
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
        const { rows } = await reader.query<{ status: string }>('SELECT status FROM wa_tether_outbox WHERE client_id = $1 AND id = $2', [
          s.clientId,
          'msg_1',
        ]);
        assert.deepEqual(rows, [{ status: 'queued' }]);
      } finally {
        await reader.end();
      }
    });

    outboxStoreContract(stores);
  });

  describe('PgWebhookStore', () => {
    const stores = sharedDatabase();

    webhookStoreContract(stores);

    it('an event no URL wants is not stored; events left without deliveries are pruned with them', async () => {
      const s = await stores({ urls: ['http://a.example/in'], events: new Set(['message']) });
      const events = async () =>
        (await s.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM wa_tether_webhook_events WHERE client_id = $1', [s.clientId])).rows;
      await s.webhooks.record({ ...event('evt_unwanted', 1), type: 'session.status' });
      assert.deepEqual(await events(), [{ n: 0 }], 'the unwanted event was not stored');
      await s.webhooks.record(event('evt_1', 1));
      const [delivery] = await s.webhooks.due(1, 10);
      assert.ok(delivery);
      await s.webhooks.markDelivered(delivery.id, 2, 204);
      assert.deepEqual(await events(), [{ n: 1 }]);
      assert.equal(await s.webhooks.prune(3), 1);
      assert.deepEqual(await events(), [{ n: 0 }], 'the event went with its last delivery');
    });
  });

  describe('PgMediaStore', () => {
    const stores = sharedDatabase();
    mediaStoreContract(stores);
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

      assert.deepEqual(
        (await alice.outboxStore.list({ limit: 10 })).messages.map((m) => m.id),
        ['m2', 'm1'],
      );
      assert.deepEqual(
        (await bob.outboxStore.list({ limit: 10 })).messages.map((m) => `${m.id}:${m.status}`),
        ['m1:sent'],
      );
      assert.equal((await alice.outboxStore.get('m1'))?.status, 'sending');
      assert.equal(await alice.outboxStore.findByWaMessageId('wa_bob'), null);
      assert.deepEqual(
        (await alice.outboxStore.heads(10)).map((h) => h.id),
        ['m1', 'm2'],
      );
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
      for (const deadline = Date.now() + 10_000; failure === null && Date.now() < deadline;) {
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
      assert.deepEqual(
        (await s.outboxStore.heads(10)).map((h) => h.id),
        ['m1'],
      );
    });
  });
});
