import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { sha256 } from '../../../src/storage/profile-archive';
import { systemClock } from '../../../src/common/clock';
import { AppError } from '../../../src/common/errors';
import { createPool, PgDatabase } from '../../../src/storage/postgres/pg-database';
import { type LeaseFence, PgLeaseTable } from '../../../src/storage/postgres/pg-lease-table';
import { LeaseLostError, PgSessionVault } from '../../../src/storage/postgres/pg-session-vault';
import { postgresUnavailable, TestPostgres } from '../../support/postgres';
import { RecordingLogger } from '../../support/recording-logger';
import { eventually } from '../../support/wait';

const unavailable = postgresUnavailable();
if (unavailable !== null) console.error(`\n!!!!!!!! ${unavailable} !!!!!!!!\n`);

interface Archive {
  readonly data: Buffer;
  readonly sha256: string;
}

/** The vault stores bytes; it never looks inside, so any bytes do. */
function archive(size = 2_000): Archive {
  const data = randomBytes(size);
  return { data, sha256: sha256(data) };
}

interface ArchiveRow {
  readonly version: number;
  readonly lease_generation: number;
  readonly sha256: string;
  readonly size: number;
  readonly data: Buffer;
}

describe('PgSessionVault (the saved session in PostgreSQL)', { skip: unavailable ?? false }, () => {
  let server: TestPostgres;
  let url: string;
  let db: PgDatabase;
  let leasePool: pg.Pool;
  let accounts = 0;
  const logger = new RecordingLogger();

  before(async () => {
    server = await TestPostgres.start();
    url = await server.createDatabase('wa_vault');
    db = new PgDatabase({ url, logger, clock: systemClock });
    await db.ready();
    leasePool = createPool(url, 2, logger, 'lease');
  });
  after(async () => {
    await leasePool?.end().catch(() => undefined);
    await db?.close();
    await server?.destroy();
  });

  /** A fresh account (client id) in the shared database, its lease taken for a minute. */
  async function account() {
    const clientId = `vault_${++accounts}`;
    const table = new PgLeaseTable(leasePool, clientId);
    const acquired = await table.tryAcquire(`host-${accounts}`, 60_000);
    assert.equal(acquired.kind, 'acquired');
    const fence: LeaseFence = acquired.fence;
    const vault = new PgSessionVault(db, clientId, logger);
    const rows = async (): Promise<ArchiveRow[]> =>
      (
        await db.query<ArchiveRow>(
          'SELECT version, lease_generation, sha256, size, data FROM wa_tether_session_archives WHERE client_id = $1 ORDER BY version',
          [clientId],
        )
      ).rows;
    /** Everything the vault keeps for this account, to compare before and after. */
    const snapshot = async () => ({
      session: (await db.query('SELECT current_version, last_version, updated_at FROM wa_tether_sessions WHERE client_id = $1', [clientId])).rows,
      archives: await rows(),
    });
    return { clientId, table, fence, vault, rows, snapshot };
  }

  it('versions: 1, identical archive unchanged, 2, 3; only the 2 newest rows are kept', async () => {
    const a = await account();
    assert.deepEqual(await a.vault.head(), { current: null, last: 0 });
    assert.equal(await a.vault.load(), null, 'nothing saved: null');
    const first = archive();
    assert.deepEqual(await a.vault.save(first, a.fence), { kind: 'saved', version: 1, size: first.data.length });
    assert.deepEqual(await a.vault.save({ data: Buffer.from(first.data), sha256: first.sha256 }, a.fence), { kind: 'unchanged', version: 1 });
    assert.deepEqual(await a.vault.head(), { current: 1, last: 1 }, 'an unchanged save writes no version');
    const second = archive();
    assert.deepEqual(await a.vault.save(second, a.fence), { kind: 'saved', version: 2, size: second.data.length });
    assert.deepEqual(
      (await a.rows()).map((r) => r.version),
      [1, 2],
    );
    const third = archive(3_000);
    assert.deepEqual(await a.vault.save(third, a.fence), { kind: 'saved', version: 3, size: 3_000 });
    assert.deepEqual(await a.vault.head(), { current: 3, last: 3 });
    const kept = await a.rows();
    assert.deepEqual(
      kept.map((r) => [r.version, r.lease_generation, r.sha256, r.size]),
      [
        [2, a.fence.generation, second.sha256, second.data.length],
        [3, a.fence.generation, third.sha256, 3_000],
      ],
      'version 1 is deleted; each row records the fence generation that wrote it',
    );
    const loaded = await a.vault.load();
    assert.equal(loaded?.version, 3);
    assert.ok(loaded?.data.equals(third.data), 'load returns the bytes of the current version');
    assert.ok(loaded?.savedAt instanceof Date);
    // Only the current version counts as "unchanged": the first archive again is a new version.
    assert.deepEqual((await a.vault.save(first, a.fence)).version, 4);
  });

  it('a save or a clear with a wrong generation, a wrong holder or an expired lease rejects with LeaseLostError and changes nothing', async () => {
    const a = await account();
    await a.vault.save(archive(), a.fence);
    const before = await a.snapshot();
    const stale: ReadonlyArray<readonly [string, LeaseFence]> = [
      ['a wrong generation', { holder: a.fence.holder, generation: a.fence.generation + 1 }],
      ['an older generation', { holder: a.fence.holder, generation: a.fence.generation - 1 }],
      ['a wrong holder', { holder: 'someone-else', generation: a.fence.generation }],
    ];
    for (const [what, fence] of stale) {
      await assert.rejects(a.vault.save(archive(), fence), LeaseLostError, `save with ${what}`);
      await assert.rejects(a.vault.clear(fence), LeaseLostError, `clear with ${what}`);
    }
    assert.deepEqual(await a.snapshot(), before, 'nothing changed');

    // The lease runs out (the database's clock decides): the fence that held it is dead.
    await leasePool.query(`UPDATE wa_tether_leases SET expires_at = now() - interval '1 second' WHERE client_id = $1`, [a.clientId]);
    await assert.rejects(a.vault.save(archive(), a.fence), LeaseLostError, 'save with an expired lease');
    await assert.rejects(a.vault.clear(a.fence), LeaseLostError, 'clear with an expired lease');
    assert.deepEqual(await a.snapshot(), before, 'nothing changed');

    // An account never saved: the rejected save leaves no row behind either.
    const fresh = await account();
    await assert.rejects(fresh.vault.save(archive(), { holder: fresh.fence.holder, generation: fresh.fence.generation + 1 }), LeaseLostError);
    assert.deepEqual(await fresh.snapshot(), { session: [], archives: [] });

    // Another host takes over: its fence writes, the old one still cannot.
    const taken = await a.table.tryAcquire('new-holder', 60_000);
    assert.equal(taken.kind, 'acquired');
    assert.equal(taken.fence.generation, a.fence.generation + 1);
    await assert.rejects(a.vault.save(archive(), a.fence), LeaseLostError);
    assert.deepEqual(await a.snapshot(), before);
    const next = archive();
    assert.deepEqual(await a.vault.save(next, taken.fence), { kind: 'saved', version: 2, size: next.data.length });
    assert.deepEqual(
      (await a.rows()).map((r) => [r.version, r.lease_generation]),
      [
        [1, a.fence.generation],
        [2, taken.fence.generation],
      ],
    );
  });

  it('load(): the newest version whose checksum matches; the one before when the newest is damaged; null when both are', async () => {
    const a = await account();
    const v1 = archive();
    const v2 = archive();
    await a.vault.save(v1, a.fence);
    await a.vault.save(v2, a.fence);
    assert.equal((await a.vault.load())?.version, 2);

    const errorsBefore = logger.at('error').length;
    await db.query(
      `UPDATE wa_tether_session_archives SET data = overlay(data placing '\\xdeadbeef'::bytea from 10) WHERE client_id = $1 AND version = 2`,
      [a.clientId],
    );
    const fallback = await a.vault.load();
    assert.equal(fallback?.version, 1, 'the damaged newest is skipped');
    assert.ok(fallback?.data.equals(v1.data));
    assert.deepEqual(
      logger
        .at('error')
        .slice(errorsBefore)
        .map((l) => l.message),
      ['The saved session version 2 is damaged (checksum mismatch); trying the one before'],
    );
    assert.deepEqual(await a.vault.head(), { current: 2, last: 2 }, 'load changes nothing');

    await db.query(`UPDATE wa_tether_session_archives SET data = '\\x00'::bytea WHERE client_id = $1 AND version = 1`, [a.clientId]);
    assert.equal(await a.vault.load(), null, 'no readable version: null, never damaged bytes');

    // A good save after that is current again and loads.
    const v3 = archive();
    assert.equal((await a.vault.save(v3, a.fence)).version, 3);
    assert.ok((await a.vault.load())?.data.equals(v3.data));
  });

  /** The pid of the wa-tether connection running `query` and waiting for a lock `blocker` holds. */
  async function waitingBehind(observer: pg.Client, blocker: pg.Client, query: RegExp): Promise<number> {
    const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    assert.ok(blockerPid);
    return eventually(
      async () => {
        const { rows } = await observer.query<{ pid: number; query: string }>(
          `SELECT pid, query FROM pg_stat_activity
          WHERE datname = current_database() AND application_name LIKE 'wa-tether%' AND wait_event_type = 'Lock'
            AND $1 = ANY (pg_blocking_pids(pid))`,
          [blockerPid],
        );
        return rows.find((r) => query.test(r.query))?.pid;
      },
      `a save (${query.source}) waiting behind the blocker`,
      5_000,
    );
  }

  /**
   * Starts a save that blocks on a lock held by another connection, kills the saving
   * connection while it waits (a crash, a lost connection before the commit), then lets go.
   */
  async function interruptedSave(a: Awaited<ReturnType<typeof account>>, lock: string, waitingQuery: RegExp): Promise<void> {
    const blocker = new pg.Client({ connectionString: url, application_name: 'vault-test blocker' });
    const observer = new pg.Client({ connectionString: url, application_name: 'vault-test observer' });
    await blocker.connect();
    await observer.connect();
    try {
      await blocker.query('BEGIN');
      const locked = await blocker.query(lock, [a.clientId]);
      assert.equal(locked.rowCount, 1, 'the blocker holds its lock');
      const saving = a.vault.save(archive(), a.fence).then(
        () => null,
        (error: unknown) => error,
      );
      const pid = await waitingBehind(observer, blocker, waitingQuery);
      // While it waits, nothing of it is visible to anyone else.
      assert.deepEqual(await a.vault.head(), { current: 2, last: 2 });
      const terminated = await observer.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [pid]);
      assert.deepEqual(terminated.rows, [{ ok: true }]);
      const error = await saving;
      assert.ok(error instanceof AppError, `the save rejects (${String(error)})`);
      assert.equal(error.code, 'DATABASE_UNAVAILABLE');
      await eventually(
        async () => {
          const { rowCount } = await observer.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
          return rowCount === 0 ? true : undefined;
        },
        'the killed backend gone',
        5_000,
      );
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      await observer.end();
    }
  }

  for (const [where, lock, waitingQuery] of [
    [
      'waiting for the session row (before anything is written)',
      'SELECT 1 FROM wa_tether_sessions WHERE client_id = $1 FOR UPDATE',
      /FOR UPDATE OF s/,
    ],
    [
      'after the new version is inserted and current_version moved, in the final prune',
      'SELECT 1 FROM wa_tether_session_archives WHERE client_id = $1 AND version = 1 FOR KEY SHARE',
      /^DELETE FROM wa_tether_session_archives/,
    ],
  ] as const) {
    it(`a save killed before its commit (${where}) never becomes current; the old version still loads`, async () => {
      const a = await account();
      const v1 = archive();
      const v2 = archive();
      await a.vault.save(v1, a.fence);
      await a.vault.save(v2, a.fence);
      const before = await a.snapshot();
      await interruptedSave(a, lock, waitingQuery);
      assert.deepEqual(await a.snapshot(), before, 'current_version, last_version and the rows are as before the save');
      const loaded = await a.vault.load();
      assert.equal(loaded?.version, 2);
      assert.ok(loaded?.data.equals(v2.data));
      // The next save (a new connection) takes the next version: no gap, no leftover row in the way.
      const v3 = archive();
      assert.deepEqual(await a.vault.save(v3, a.fence), { kind: 'saved', version: 3, size: v3.data.length });
      assert.ok((await a.vault.load())?.data.equals(v3.data));
    });
  }

  // The fence's FOR SHARE on the lease row conflicts with the UPDATE of PgLeaseTable.renew: taken
  // before the upload, it made the holder's own renewals wait for every save (the lease pool's
  // ttl/6 timeout reports that as "database unreachable"; ttl/2 of it and the lease is lost).
  it('a save uploading its archive does not hold up the holder’s renewal of its lease', async () => {
    const a = await account();
    await a.vault.save(archive(), a.fence);
    const uploading = archive();
    const renewPool = createPool(url, 1, logger, 'lease', 500);
    const blocker = new pg.Client({ connectionString: url, application_name: 'vault-test blocker' });
    const observer = new pg.Client({ connectionString: url, application_name: 'vault-test observer' });
    await blocker.connect();
    await observer.connect();
    let saving: Promise<unknown> = Promise.resolve();
    try {
      // A save that takes its time in the INSERT of its archive (a big one on a slow link): here
      // it waits for an uncommitted row with the same key.
      await blocker.query('BEGIN');
      await blocker.query(
        `INSERT INTO wa_tether_session_archives (client_id, version, lease_generation, sha256, size, data) VALUES ($1, 2, 0, 'x', 0, '')`,
        [a.clientId],
      );
      saving = a.vault.save(uploading, a.fence);
      await waitingBehind(observer, blocker, /^INSERT INTO wa_tether_session_archives/);
      const startedAt = Date.now();
      const renewed = await new PgLeaseTable(renewPool, a.clientId).renew(a.fence, 60_000).then(
        (ok) => `renewed: ${ok}`,
        (error: Error) => `failed: ${error.message}`,
      );
      assert.equal(renewed, 'renewed: true', `the renewal went through while the save ran (after ${Date.now() - startedAt} ms)`);
      assert.ok(Date.now() - startedAt < 400, 'at once');
      await blocker.query('ROLLBACK');
      assert.deepEqual(await saving, { kind: 'saved', version: 2, size: uploading.data.length }, 'and the save then completes');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      await observer.end();
      await saving.catch(() => undefined);
      await renewPool.end().catch(() => undefined);
    }
  });

  it('clear(): every version deleted, current empty, last_version kept; the next save continues after it', async () => {
    const a = await account();
    for (let i = 0; i < 3; i++) await a.vault.save(archive(), a.fence);
    await a.vault.clear(a.fence);
    assert.deepEqual(await a.vault.head(), { current: null, last: 3 });
    assert.equal(await a.vault.load(), null);
    assert.deepEqual(await a.rows(), []);
    await a.vault.clear(a.fence);
    assert.deepEqual(await a.vault.head(), { current: null, last: 3 }, 'a second clear is harmless');
    const next = archive();
    assert.deepEqual(await a.vault.save(next, a.fence), { kind: 'saved', version: 4, size: next.data.length }, 'a version number is never reused');
    assert.ok((await a.vault.load())?.data.equals(next.data));

    const fresh = await account();
    await fresh.vault.clear(fresh.fence);
    assert.deepEqual(await fresh.vault.head(), { current: null, last: 0 }, 'clearing an account never saved is a no-op');
  });

  it('accounts in one database are apart: one account’s saves and clears never touch another’s', async () => {
    const a = await account();
    const b = await account();
    const forA = archive();
    const forB = archive();
    await a.vault.save(forA, a.fence);
    await b.vault.save(forB, b.fence);
    assert.deepEqual(await b.vault.save(forA, b.fence), { kind: 'saved', version: 2, size: forA.data.length }, 'A’s current archive is not B’s');
    await assert.rejects(b.vault.save(archive(), a.fence), LeaseLostError, 'A’s fence is no fence for B');
    await a.vault.clear(a.fence);
    assert.deepEqual(await b.vault.head(), { current: 2, last: 2 });
    assert.ok((await b.vault.load())?.data.equals(forA.data));
  });
});
