import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type pg from 'pg';
import { LeaseKeeper, type LeaseRole } from '../../../src/cluster/lease-keeper';
import { listenForReleases } from '../../../src/cluster/release-listener';
import { type Clock, systemClock } from '../../../src/common/clock';
import type { LeaseFence } from '../../../src/storage/postgres/pg-lease-table';
import { createPool, PgDatabase } from '../../../src/storage/postgres/pg-database';
import { PgLeaseTable } from '../../../src/storage/postgres/pg-lease-table';
import { deferred } from '../../support/deferred';
import { FakeClock } from '../../support/fake-clock';
import { postgresUnavailable, TestPostgres } from '../../support/postgres';
import { RecordingLogger } from '../../support/recording-logger';
import { eventually, sleep, withTimeout } from '../../support/wait';

const unavailable = postgresUnavailable();
if (unavailable !== null) console.error(`\n!!!!!!!! ${unavailable} !!!!!!!!\n`);

/** Short enough for a test, long enough that renewals (every ttl/6 = 500 ms) are not racing it. */
const TTL_MS = 3_000;
/** The standby's poll (a third of the ttl, at most 2 s). */
const POLL_MS = Math.min(2_000, Math.floor(TTL_MS / 3));

interface Instance {
  readonly name: string;
  readonly keeper: LeaseKeeper;
  readonly table: PgLeaseTable;
  readonly roles: LeaseRole[];
  readonly lost: Array<{ readonly reason: string; readonly at: number }>;
  /** Settles at the first onLost. */
  readonly lostOnce: Promise<number>;
  readonly logger: RecordingLogger;
}

describe('LeaseKeeper on a real PostgreSQL lease (ttl 3 s, system clock)', { skip: unavailable ?? false }, () => {
  let server: TestPostgres;
  let url: string;
  let db: PgDatabase;
  let accounts = 0;
  let running: Array<{ keeper: LeaseKeeper; pool: pg.Pool }> = [];

  before(async () => {
    server = await TestPostgres.start();
    url = await server.createDatabase('wa_lease');
    db = new PgDatabase({ url, logger: new RecordingLogger(), clock: systemClock });
    await db.ready();
  });
  afterEach(async () => {
    for (const { keeper, pool } of running) {
      keeper.stop();
      await pool.end().catch(() => undefined);
    }
    running = [];
  });
  after(async () => {
    await db?.close();
    await server?.destroy();
  });

  /** One daemon's lease side, on its own one-connection pool as buildCluster makes it. */
  function instance(clientId: string, name: string, clock: Clock = systemClock): Instance {
    const logger = new RecordingLogger();
    const pool = createPool(url, 1, logger, 'lease', Math.floor(TTL_MS / 6));
    const table = new PgLeaseTable(pool, clientId);
    const roles: LeaseRole[] = [];
    const lost: Array<{ reason: string; at: number }> = [];
    const first = deferred<number>();
    const keeper = new LeaseKeeper({
      table,
      self: name,
      ttlMs: TTL_MS,
      clock,
      logger,
      onLost: (reason) => {
        const at = Date.now();
        lost.push({ reason, at });
        if (!first.settled) first.resolve(at);
      },
      onRole: (role) => roles.push(role),
    });
    running.push({ keeper, pool });
    return { name, keeper, table, roles, lost, lostOnce: first.promise, logger };
  }

  function freshAccount(): string {
    return `lease_${++accounts}`;
  }

  async function leaseRow(clientId: string) {
    const { rows } = await db.query<{ holder: string; generation: number; live: boolean; left_ms: number }>(
      `SELECT holder, generation, expires_at > now() AS live, EXTRACT(EPOCH FROM (expires_at - now())) * 1000 AS left_ms
         FROM wa_tether_leases WHERE client_id = $1`,
      [clientId],
    );
    return rows[0];
  }

  /** The standby is waiting: it looked at least once and found the lease held. */
  async function standingBy(standby: Instance): Promise<void> {
    await eventually(async () => (standby.roles.includes('standby') ? true : undefined), `${standby.name} standing by`, 3_000);
  }

  it('the first acquires; a second stands by; when the holder releases, the standby takes over at its next poll with a higher generation', async () => {
    const clientId = freshAccount();
    const a = instance(clientId, 'host-a');
    const fenceA = await a.keeper.acquire();
    assert.equal(fenceA.holder, 'host-a');
    assert.deepEqual(a.roles, ['holder']);
    assert.deepEqual(a.keeper.current(), fenceA);

    const b = instance(clientId, 'host-b');
    let fenceB: LeaseFence | null = null;
    const acquiring = b.keeper.acquire().then((fence) => (fenceB = fence));
    await standingBy(b);
    assert.equal(fenceB, null);
    assert.equal(b.keeper.current(), null);
    const seen = b.keeper.status();
    assert.deepEqual([seen.role, seen.holder, seen.generation], ['standby', 'host-a', fenceA.generation], 'the standby says who holds it');
    assert.equal(b.logger.find('warn', /^standby: another instance holds the session \(host-a\)/).length, 1);

    const releasedAt = Date.now();
    await a.keeper.release();
    assert.equal(a.roles.at(-1), 'released');
    assert.equal(a.keeper.current(), null);
    const taken = await withTimeout(acquiring, 2_500, 'the standby taking over after the release');
    const tookMs = Date.now() - releasedAt;
    assert.ok(tookMs <= POLL_MS + 500, `taken over ${tookMs} ms after the release (the next poll), not at the ttl`);
    assert.equal(taken.holder, 'host-b');
    assert.ok(taken.generation > fenceA.generation, `generation ${taken.generation} > ${fenceA.generation}`);
    assert.deepEqual(b.roles, ['standby', 'holder']);
    const row = await leaseRow(clientId);
    assert.deepEqual([row?.holder, row?.generation, row?.live], ['host-b', taken.generation, true]);
    assert.equal(await a.table.renew(fenceA, TTL_MS), false, 'the released fence cannot renew');
    assert.deepEqual([a.lost, b.lost], [[], []], 'nobody lost anything');
  });

  it('a release is announced: a listening standby takes over at once, not at its next poll', async () => {
    const clientId = freshAccount();
    const a = instance(clientId, 'host-a');
    await a.keeper.acquire();
    // The standby's clock is fake and never advanced: its poll never fires, only the notification can wake it.
    const clock = new FakeClock();
    const b = instance(clientId, 'host-b', clock);
    const waiting = b.keeper.acquire();
    await standingBy(b);
    const stopListening = await listenForReleases(url, clientId, () => b.keeper.wake(), new RecordingLogger());
    const other = await listenForReleases(url, `${clientId}-other`, () => assert.fail('woken by another account'), new RecordingLogger());
    try {
      await a.keeper.release();
      const fence = await withTimeout(waiting, 5_000, 'the standby woken by the release');
      assert.equal(fence.holder, 'host-b');
      assert.equal(clock.pending() > 0, true, 'its renewal timer is armed on its own clock');
    } finally {
      await stopListening();
      await other();
    }
  });

  it('a holder that stops renewing (no release) is taken over only once its lease expired: not before ~5/6 of the ttl', async () => {
    const clientId = freshAccount();
    const a = instance(clientId, 'host-a');
    const fenceA = await a.keeper.acquire();
    const b = instance(clientId, 'host-b');
    let waiting = true;
    const acquiring = b.keeper.acquire().then((fence) => {
      waiting = false;
      return { fence, at: Date.now() };
    });
    await standingBy(b);
    // More than one poll while the holder renews: the standby keeps waiting.
    await sleep(POLL_MS + 200);
    assert.ok(waiting, 'no takeover while the holder renews');
    assert.equal(b.keeper.status().role, 'standby');
    const renewedBeforeStop = a.keeper.status().checkedAt?.getTime() ?? 0;
    assert.ok(renewedBeforeStop > 0, 'the holder renewed meanwhile');

    const stoppedAt = Date.now();
    a.keeper.stop();
    const lastRenewal = a.keeper.status().checkedAt?.getTime() ?? 0;
    const { fence: taken, at: takenAt } = await withTimeout(acquiring, TTL_MS + POLL_MS + 1_500, 'the standby taking over an expired lease');
    const afterStop = takenAt - stoppedAt;
    assert.ok(
      afterStop >= (TTL_MS * 5) / 6 - 50,
      `not taken over before ~5/6 of the ttl after the last renewal (taken ${afterStop} ms after the stop)`,
    );
    assert.ok(takenAt - lastRenewal >= TTL_MS - 20, `taken over ${takenAt - lastRenewal} ms after the last renewal began: only once the ttl ran out`);
    assert.ok(afterStop <= TTL_MS + POLL_MS + 500, `taken over within ttl + one poll (${afterStop} ms)`);
    assert.equal(taken.generation, fenceA.generation + 1);
    assert.deepEqual(b.roles, ['standby', 'holder']);
    assert.equal(await a.table.renew(fenceA, TTL_MS), false, 'the old holder cannot renew the taken lease');
    assert.deepEqual(a.lost, [], 'a stopped keeper does not report a loss');
  });

  // A standby's next attempt lives in the poll timer: a stop that clears it must end the wait
  // too, or acquire() (and takeOver() in build-cluster.ts) stays pending forever.
  it('a standby stopped, told to stop acquiring, or released while waiting: acquire() rejects', async () => {
    const clientId = freshAccount();
    const holder = await new PgLeaseTable(db.pool, clientId).tryAcquire('host-a', 60_000);
    assert.equal(holder.kind, 'acquired');
    const outcomes: string[] = [];
    for (const how of ['stop', 'stopAcquiring', 'release'] as const) {
      const clock = new FakeClock();
      const standby = instance(clientId, `standby-${how}`, clock);
      const acquiring = standby.keeper.acquire().then(
        () => 'acquired',
        (error: Error) => `rejected: ${error.message}`,
      );
      await standingBy(standby);
      if (how === 'stop') standby.keeper.stop();
      else if (how === 'stopAcquiring') standby.keeper.stopAcquiring();
      else await standby.keeper.release();
      await clock.advance(POLL_MS * 3);
      outcomes.push(await Promise.race([acquiring, sleep(100).then(() => 'still pending')]));
    }
    assert.deepEqual(outcomes, Array(3).fill('rejected: stopped before the lease was taken'));
  });

  it('a database restart shorter than ttl/2 changes nothing: no onLost, the renewals go on with the same generation', async () => {
    const clientId = freshAccount();
    const a = instance(clientId, 'host-a');
    const fence = await a.keeper.acquire();
    await sleep(TTL_MS / 6 + 50);
    await server.stopServer();
    const downSince = Date.now();
    // Down until a renewal has failed (so the outage was really seen), at least 300 ms, at most 700 ms.
    while (Date.now() - downSince < 700 && (Date.now() - downSince < 300 || a.keeper.status().lastError === null)) await sleep(20);
    await server.resume();
    const upAt = Date.now();
    assert.ok(a.logger.find('warn', /^Cannot renew the lease/).length >= 1, 'a renewal failed while the database was down');
    await eventually(
      async () => {
        const status = a.keeper.status();
        return status.lastError === null && (status.checkedAt?.getTime() ?? 0) >= upAt ? true : undefined;
      },
      'renewed after the restart',
      TTL_MS,
    );
    assert.equal(a.logger.find('info', /^Renewed the lease again: the database is back/).length, 1);
    // One more renewal period: still holding, still renewing.
    await sleep(TTL_MS / 6);
    assert.deepEqual(a.lost, [], 'onLost never called');
    assert.deepEqual(a.roles, ['holder']);
    assert.deepEqual(a.keeper.current(), fence);
    const row = await leaseRow(clientId);
    assert.deepEqual([row?.holder, row?.generation, row?.live], ['host-a', fence.generation, true]);
    assert.ok((row?.left_ms ?? 0) > TTL_MS - TTL_MS / 6 - 300, `freshly renewed (${Math.round(row?.left_ms ?? 0)} ms left)`);
  });

  it('a holder whose database goes away counts the lease lost after ttl/2 without renewal, well before the ttl', async () => {
    const clientId = freshAccount();
    const a = instance(clientId, 'host-a');
    await a.keeper.acquire();
    await sleep(TTL_MS / 6 + 50);
    const stoppingAt = Date.now();
    try {
      await server.stopServer();
      const lostAt = await withTimeout(a.lostOnce, TTL_MS + 1_000, 'onLost after the database went away');
      const lastRenewal = a.keeper.status().checkedAt?.getTime() ?? 0;
      const unrenewed = lostAt - lastRenewal;
      assert.ok(unrenewed >= TTL_MS / 2 - 5, `not before ttl/2 without renewal (${unrenewed} ms): a short outage is ridden out`);
      assert.ok(unrenewed <= TTL_MS / 2 + TTL_MS / 6 + 700, `within ttl/2 + ttl/6 + a margin of the last renewal (${unrenewed} ms)`);
      assert.ok(unrenewed < TTL_MS, 'before the lease expires, so no standby can take over while this one still runs');
      assert.ok(lostAt - stoppingAt <= TTL_MS / 2 + TTL_MS / 6 + 900, `lost ${lostAt - stoppingAt} ms after the database began to stop`);
      assert.equal(a.lost.length, 1);
      assert.match(a.lost[0]?.reason ?? '', /could not be renewed for \d+ s \(database unreachable\)/);
      assert.deepEqual(a.roles, ['holder', 'lost']);
      assert.equal(a.keeper.current(), null, 'no fence once lost');
      assert.equal(a.logger.find('error', /^Lost the session's lease/).length, 1);
      await sleep(300);
      assert.equal(a.lost.length, 1, 'onLost is called once');
    } finally {
      await server.resume();
    }
  });
});
