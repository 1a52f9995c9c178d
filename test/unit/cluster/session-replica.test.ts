import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { packProfile, unpackProfile } from '../../../src/storage/profile-archive';
import { readSavedVersion, type SavedVersion, writeSavedVersion } from '../../../src/cluster/saved-version-file';
import { FIRST_SAVE_DELAY_MS, SessionReplica, SETTLED_SAVE_DELAY_MS } from '../../../src/cluster/session-replica';
import { systemClock } from '../../../src/common/clock';
import type { SessionSnapshot, SessionState } from '../../../src/session/session-state';
import { createPool, PgDatabase } from '../../../src/storage/postgres/pg-database';
import { type LeaseFence, PgLeaseTable } from '../../../src/storage/postgres/pg-lease-table';
import { PgMetadataMirror } from '../../../src/storage/postgres/pg-metadata-mirror';
import { PgSessionVault } from '../../../src/storage/postgres/pg-session-vault';
import { EMPTY_METADATA, type SessionMetadata, SessionMetadataStore } from '../../../src/storage/session-metadata';
import { sessionPaths } from '../../../src/config/session-paths';
import { FakeClock } from '../../support/fake-clock';
import { makeSnapshot } from '../../support/fake-session';
import { postgresUnavailable, TestPostgres } from '../../support/postgres';
import { RecordingLogger } from '../../support/recording-logger';
import { eventually } from '../../support/wait';
import { hexTree, readTree, writeTree } from '../../support/file-tree';

const unavailable = postgresUnavailable();
if (unavailable !== null) console.error(`\n!!!!!!!! ${unavailable} !!!!!!!!\n`);

const BACKUP_INTERVAL_MS = 600_000;

/** A paired profile: the saved parts (keys) and what Chromium rebuilds. `tag` makes each one distinct. */
function profileFiles(tag: string): Record<string, Buffer> {
  return {
    'Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb/000003.log': Buffer.concat([Buffer.from(`${tag}:`), randomBytes(3_000)]),
    'Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb/CURRENT': Buffer.from(`MANIFEST-${tag}\n`),
    'Default/Local Storage/leveldb/000005.ldb': Buffer.concat([Buffer.from(`${tag}:`), randomBytes(500)]),
  };
}

/** Waits into the next wall-clock second (tar's mtime resolution). */
async function untilNextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000) + 50));
}

/** The tiny session watch() needs: a snapshot and its listeners, moved by the test. */
class TinySession {
  private current: SessionSnapshot;
  private readonly listeners = new Set<(snapshot: SessionSnapshot) => void>();

  constructor(state: SessionState = 'starting') {
    this.current = makeSnapshot({ state });
  }

  snapshot(): SessionSnapshot {
    return this.current;
  }

  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  move(state: SessionState): void {
    this.current = makeSnapshot({ state });
    for (const listener of this.listeners) listener(this.current);
  }
}

const PAIRED: SessionMetadata = {
  pairedAt: '2025-01-02T03:04:05.000Z',
  me: { id: '15550001111', name: 'Other Host' },
  lastReadyAt: '2025-01-02T04:00:00.000Z',
  lastLoggedOutAt: null,
  logoutReason: null,
};

describe('SessionReplica (the local profile and its copy in PostgreSQL)', { skip: unavailable ?? false }, () => {
  let server: TestPostgres;
  let db: PgDatabase;
  let leasePool: pg.Pool;
  let tmp: string;
  let accounts = 0;

  before(async () => {
    server = await TestPostgres.start();
    const url = await server.createDatabase('wa_replica');
    db = new PgDatabase({ url, logger: new RecordingLogger(), clock: systemClock });
    await db.ready();
    leasePool = createPool(url, 2, new RecordingLogger(), 'lease');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-replica-'));
  });
  after(async () => {
    await leasePool?.end().catch(() => undefined);
    await db?.close();
    await server?.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /**
   * One host of a fresh account: its own AUTH_PATH, the lease taken (the fence function answers
   * it until `fence.current` is set to null), a replica on a fake clock, and a second vault handle
   * standing for "another host" writing the database.
   */
  async function host() {
    const clientId = `replica_${++accounts}`;
    const authPath = path.join(tmp, clientId);
    await mkdir(authPath, { recursive: true });
    const paths = sessionPaths(authPath, clientId);
    const acquired = await new PgLeaseTable(leasePool, clientId).tryAcquire(`host-${accounts}`, 600_000);
    assert.equal(acquired.kind, 'acquired');
    const fence: { current: LeaseFence | null } = { current: acquired.fence };
    const logger = new RecordingLogger();
    const clock = new FakeClock();
    const vault = new PgSessionVault(db, clientId, logger);
    const mirror = new PgMetadataMirror(db, clientId);
    const metadata = new SessionMetadataStore({ file: paths.metadataFile, logger });
    const replica = new SessionReplica({
      profileDir: paths.profileDir,
      savedVersionFile: paths.savedVersionFile,
      vault,
      mirror,
      metadata,
      fence: () => fence.current,
      backupIntervalMs: BACKUP_INTERVAL_MS,
      clock,
      logger,
    });
    let others = 0;
    /** Another host saved this profile content as the next version; returns its saved parts. */
    const savedElsewhere = async (tag: string): Promise<{ version: number; files: Record<string, Buffer> }> => {
      const files = profileFiles(tag);
      const dir = path.join(authPath, `other-${++others}`);
      await writeTree(dir, { ...files, 'Default/Cache/data_0': randomBytes(50) });
      const archive = await packProfile(dir);
      assert.ok(archive);
      const result = await vault.save(archive, acquired.fence);
      assert.equal(result.kind, 'saved');
      return { version: result.version, files };
    };
    const marker = (): Promise<SavedVersion> => readSavedVersion(paths.savedVersionFile);
    const setMarker = (value: SavedVersion): Promise<void> => writeSavedVersion(paths.savedVersionFile, value);
    return { clientId, paths, fence, clock, logger, vault, mirror, metadata, replica, savedElsewhere, marker, setMarker };
  }

  describe('prepare(): what the new holder does with its local profile', () => {
    it('nothing saved and no local profile: nothing-saved, nothing created', async () => {
      const h = await host();
      assert.equal(await h.replica.prepare(), null, 'no metadata to adopt (none in the database)');
      assert.equal(h.replica.status().prepared, 'nothing-saved');
      assert.equal(await readTree(h.paths.profileDir), null);
      assert.deepEqual(await h.vault.head(), { current: null, last: 0 });
    });

    it('a local profile and nothing in the database: kept-local, untouched, nothing to adopt', async () => {
      const h = await host();
      const files = { ...profileFiles('local'), 'Default/Cache/x': randomBytes(10) };
      await writeTree(h.paths.profileDir, files);
      assert.equal(await h.replica.prepare(), null);
      assert.equal(h.replica.status().prepared, 'kept-local');
      assert.deepEqual(await readTree(h.paths.profileDir), hexTree(files));
      assert.deepEqual(await h.marker(), { version: null, clearPending: null });
    });

    it('the database has version N and the marker says N: kept-local, the local profile (newer, with a sentinel) untouched', async () => {
      const h = await host();
      await h.savedElsewhere('v1');
      // This host saved version 2 from its profile, then kept running: its files moved on since.
      const local = profileFiles('local');
      await writeTree(h.paths.profileDir, local);
      const archive = await packProfile(h.paths.profileDir);
      assert.ok(archive);
      assert.equal((await h.vault.save(archive, h.fence.current ?? assert.fail('fence'))).version, 2);
      await h.setMarker({ version: 2, clearPending: null });
      const moved = {
        ...local,
        'Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb/000004.log': Buffer.from('written after the save'),
        'Default/IndexedDB/sentinel': Buffer.from('still here'),
      };
      await writeTree(h.paths.profileDir, moved);
      await h.mirror.put(PAIRED);

      assert.equal(await h.replica.prepare(), null, 'the local metadata stands');
      assert.equal(h.replica.status().prepared, 'kept-local');
      assert.equal(h.replica.status().version, 2);
      assert.deepEqual(
        await readTree(h.paths.profileDir),
        hexTree(moved),
        'not replaced by the older copy in the database (RemoteAuth deletes it at every start)',
      );
      assert.deepEqual(await h.marker(), { version: 2, clearPending: null });
      assert.deepEqual(await h.metadata.read(), EMPTY_METADATA, 'the mirror is not adopted over the local metadata');
    });

    for (const [variant, arrange] of [
      [
        'the marker is older',
        async (h: Awaited<ReturnType<typeof host>>) => {
          await writeTree(h.paths.profileDir, {
            ...profileFiles('stale'),
            'Default/IndexedDB/sentinel': Buffer.from('stale'),
            'Default/Cache/x': randomBytes(10),
          });
          await h.setMarker({ version: 1, clearPending: null });
        },
      ],
      [
        'there is no marker',
        async (h: Awaited<ReturnType<typeof host>>) => {
          await writeTree(h.paths.profileDir, { ...profileFiles('unknown'), 'Default/IndexedDB/sentinel': Buffer.from('unknown') });
        },
      ],
      ['there is no local profile', async () => undefined],
      [
        'the marker says N but the local profile is gone',
        async (h: Awaited<ReturnType<typeof host>>) => {
          await h.setMarker({ version: 2, clearPending: null });
        },
      ],
    ] as const) {
      it(`the database has version N and ${variant}: restored, the local profile replaced by N, marker N, the mirror adopted`, async () => {
        const h = await host();
        await h.savedElsewhere('v1');
        const { version, files } = await h.savedElsewhere('v2');
        assert.equal(version, 2);
        await h.mirror.put(PAIRED);
        await arrange(h);

        assert.deepEqual(await h.replica.prepare(), PAIRED, 'the other host’s metadata is returned to adopt');
        assert.equal(h.replica.status().prepared, 'restored');
        assert.equal(h.replica.status().version, 2);
        assert.deepEqual(
          await readTree(h.paths.profileDir),
          hexTree(files),
          'exactly version 2’s saved parts: the sentinel and the old files are gone',
        );
        assert.deepEqual(await h.marker(), { version: 2, clearPending: null });
        assert.deepEqual(await h.metadata.read(), PAIRED, 'and written to the local metadata file');
        assert.deepEqual(await h.vault.head(), { current: 2, last: 2 }, 'the database is not changed by a restore');
      });
    }

    it('the session was cleared in the database since our version: forgot-cleared, the local profile deleted', async () => {
      const h = await host();
      const local = profileFiles('ours');
      await writeTree(h.paths.profileDir, local);
      const archive = await packProfile(h.paths.profileDir);
      assert.ok(archive);
      const fence = h.fence.current ?? assert.fail('fence');
      assert.equal((await h.vault.save(archive, fence)).version, 1);
      await h.setMarker({ version: 1, clearPending: null });
      // Another host logged out and cleared it, and said so in the mirror.
      await h.vault.clear(fence);
      const loggedOut: SessionMetadata = { ...PAIRED, lastLoggedOutAt: '2025-01-03T00:00:00.000Z', logoutReason: 'LOGOUT' };
      await h.mirror.put(loggedOut);

      assert.deepEqual(await h.replica.prepare(), loggedOut);
      assert.equal(h.replica.status().prepared, 'forgot-cleared');
      assert.equal(await readTree(h.paths.profileDir), null, 'the dead copy is deleted');
      assert.deepEqual(await h.marker(), { version: null, clearPending: null });
      assert.equal(h.replica.status().version, null);
      assert.deepEqual(await h.metadata.read(), loggedOut);
    });

    // "Cleared since our version" needs last_version to have reached it: a new DATABASE_URL, a
    // recreated or restored database (last_version below the marker) never held this session, and
    // a good paired profile deleted there would need a QR at the next start.
    it('a database that never held our version (last_version below the marker) keeps the local profile', async () => {
      const h = await host();
      const local = profileFiles('ours');
      await writeTree(h.paths.profileDir, local);
      await h.setMarker({ version: 5, clearPending: null });
      assert.deepEqual(await h.vault.head(), { current: null, last: 0 }, 'a database that never saw this session');
      await h.replica.prepare();
      assert.equal(h.replica.status().prepared, 'kept-local');
      assert.deepEqual(await readTree(h.paths.profileDir), hexTree(local), 'the paired profile is still there');
    });

    it('a pending clear in the marker is carried out when the database is at or below it', async () => {
      for (const pendingAbove of [0, 1]) {
        const h = await host();
        await h.savedElsewhere('v1');
        await h.savedElsewhere('v2');
        await h.setMarker({ version: null, clearPending: 2 + pendingAbove });
        assert.equal(await h.replica.prepare(), null, 'no metadata in the mirror');
        assert.deepEqual(await h.vault.head(), { current: null, last: 2 }, `cleared (pending ${2 + pendingAbove}, database at 2)`);
        assert.equal(await h.vault.load(), null);
        assert.deepEqual(await h.marker(), { version: null, clearPending: null });
        assert.equal(h.replica.status().prepared, 'nothing-saved');
        assert.equal(await readTree(h.paths.profileDir), null, 'nothing restored from the cleared copy');
      }
    });

    it('a pending clear is not carried out when another host saved a newer version since: that one is restored', async () => {
      const h = await host();
      await h.savedElsewhere('v1');
      await h.savedElsewhere('v2');
      const newer = await h.savedElsewhere('v3');
      await h.setMarker({ version: null, clearPending: 2 });
      await h.replica.prepare();
      assert.deepEqual(await h.vault.head(), { current: 3, last: 3 }, 'the newer session stays in the database');
      assert.equal(h.replica.status().prepared, 'restored');
      assert.deepEqual(await readTree(h.paths.profileDir), hexTree(newer.files));
      assert.deepEqual(await h.marker(), { version: 3, clearPending: null });
    });

    it('refuses to prepare without the lease', async () => {
      const h = await host();
      h.fence.current = null;
      await assert.rejects(h.replica.prepare(), /only be prepared while holding the lease/);
    });
  });

  describe('save(), the schedule, forget() and saveOnShutdown()', () => {
    it('save() only while the watched session is ready; it writes the version, the marker and the mirror', async () => {
      const h = await host();
      const files = profileFiles('paired');
      await writeTree(h.paths.profileDir, { ...files, 'Default/Cache/x': randomBytes(10) });
      await h.metadata.update(PAIRED);
      const session = new TinySession('starting');
      const unwatch = h.replica.watch(session);
      try {
        assert.equal(await h.replica.save('manual'), false, 'starting: not saved');
        session.move('qr');
        assert.equal(await h.replica.save('manual'), false, 'qr: not saved');
        session.move('authenticated');
        assert.equal(await h.replica.save('manual'), false, 'authenticated: not saved yet');
        assert.deepEqual(await h.vault.head(), { current: null, last: 0 });
        assert.equal(h.replica.status().lastAttemptAt, null, 'not even attempted');

        session.move('ready');
        assert.equal(await h.replica.save('manual'), true);
        assert.deepEqual(await h.vault.head(), { current: 1, last: 1 });
        assert.deepEqual(await h.marker(), { version: 1, clearPending: null });
        assert.deepEqual(await h.mirror.get(), PAIRED, 'the metadata goes with the save');
        const status = h.replica.status();
        assert.deepEqual([status.version, status.saves, status.failures, status.lastError], [1, 1, 0, null]);
        // What was saved is this profile's saved parts.
        const restored = path.join(h.paths.profileDir, '..', 'check-restore');
        const saved = await h.vault.load();
        assert.ok(saved);
        await unpackProfile(saved.data, restored);
        assert.deepEqual(await readTree(restored), hexTree(files));

        await writeTree(h.paths.profileDir, { 'Default/Local Storage/leveldb/000006.log': randomBytes(100) });
        assert.equal(await h.replica.save('manual'), true);
        assert.deepEqual(await h.vault.head(), { current: 2, last: 2 });
        assert.deepEqual(await h.marker(), { version: 2, clearPending: null });

        session.move('reconnecting');
        assert.equal(await h.replica.save('manual'), false, 'reconnecting: not saved (only the shutdown save takes it)');
        h.fence.current = null;
        session.move('ready');
        assert.equal(await h.replica.save('manual'), false, 'without the lease: not saved');
        assert.deepEqual(await h.vault.head(), { current: 2, last: 2 });
      } finally {
        unwatch();
      }
    });

    // BUG (src/storage/profile-archive.ts:48 and :62): the staging copy (`cp` without
    // preserveTimestamps) gets the copy time as mtime and tar writes it into every header, so
    // packing an unchanged profile a second later gives another archive and another sha256. The
    // vault's `unchanged` never happens across saves: every scheduled save writes a new version
    // (a full BYTEA row), and two identical copies push the older good version out.
    it('a save of an unchanged profile a second later writes no new version', async () => {
      const h = await host();
      await writeTree(h.paths.profileDir, profileFiles('unchanged'));
      const session = new TinySession('starting');
      const unwatch = h.replica.watch(session);
      session.move('ready');
      try {
        assert.equal(await h.replica.save('manual'), true);
        assert.deepEqual(await h.vault.head(), { current: 1, last: 1 });
        await untilNextSecond();
        assert.equal(await h.replica.save('manual'), true, 'an unchanged profile is a successful save');
        assert.deepEqual(await h.vault.head(), { current: 1, last: 1 }, 'without a new version');
      } finally {
        unwatch();
      }
    });

    it('the schedule: a first save FIRST_SAVE_DELAY_MS after ready, a settled one later, the interval; none after unwatch', async () => {
      const h = await host();
      await writeTree(h.paths.profileDir, profileFiles('scheduled'));
      const session = new TinySession('starting');
      const unwatch = h.replica.watch(session);
      assert.deepEqual(h.clock.pendingDelays(), [BACKUP_INTERVAL_MS]);
      session.move('ready');
      assert.deepEqual(h.clock.pendingDelays(), [FIRST_SAVE_DELAY_MS, SETTLED_SAVE_DELAY_MS]);
      await h.clock.advance(FIRST_SAVE_DELAY_MS - 1);
      assert.equal(h.replica.status().lastAttemptAt, null, 'not before the delay');
      await h.clock.advance(1);
      await eventually(async () => (h.replica.status().saves === 1 ? true : undefined), 'the first save done', 5_000);
      assert.deepEqual(await h.vault.head(), { current: 1, last: 1 });
      await eventually(async () => (h.clock.pendingDelays().length === 2 ? true : undefined), 'the interval scheduled after the first save', 2_000);
      assert.deepEqual(h.clock.pendingDelays(), [SETTLED_SAVE_DELAY_MS - FIRST_SAVE_DELAY_MS, BACKUP_INTERVAL_MS]);
      unwatch();
      assert.equal(h.clock.pending(), 0, 'unwatch stops the timers');
    });

    it('forget() deletes the saved versions and the marker’s version; without the lease it stays pending until the next prepare', async () => {
      const h = await host();
      await writeTree(h.paths.profileDir, profileFiles('to-forget'));
      const session = new TinySession('starting');
      const unwatch = h.replica.watch(session);
      session.move('ready');
      try {
        assert.equal(await h.replica.save('manual'), true);
        assert.deepEqual(await h.marker(), { version: 1, clearPending: null });
        await h.metadata.update({ ...PAIRED, lastLoggedOutAt: '2025-01-05T00:00:00.000Z', logoutReason: 'cleared' });
        await h.replica.forget();
        assert.deepEqual(await h.vault.head(), { current: null, last: 1 }, 'the remote copy is gone; last_version stays');
        assert.deepEqual(await h.marker(), { version: null, clearPending: null });
        assert.equal(h.replica.status().version, null);
        const mirrored = await h.mirror.get();
        assert.deepEqual([mirrored?.logoutReason, mirrored?.pairedAt, mirrored?.me], ['cleared', null, null], 'the mirror says why, and unpaired');
        assert.equal(h.clock.pending(), 0, 'no save scheduled after a forget');
      } finally {
        unwatch();
      }

      // The same on a host that lost the database's lease meanwhile: the clear is remembered.
      const g = await host();
      await writeTree(g.paths.profileDir, profileFiles('pending'));
      const gSession = new TinySession('starting');
      const gUnwatch = g.replica.watch(gSession);
      gSession.move('ready');
      try {
        assert.equal(await g.replica.save('manual'), true);
        g.fence.current = null;
        await g.replica.forget();
        assert.deepEqual(await g.marker(), { version: null, clearPending: 1 }, 'the clear is pending');
        assert.deepEqual(await g.vault.head(), { current: 1, last: 1 }, 'not done without the lease');
      } finally {
        gUnwatch();
      }
      await rm(g.paths.profileDir, { recursive: true, force: true });
      g.fence.current = (await new PgLeaseTable(leasePool, g.clientId).current()) ?? assert.fail('the lease row');
      await g.replica.prepare();
      assert.deepEqual(await g.vault.head(), { current: null, last: 1 }, 'done at the next prepare');
      assert.deepEqual(await g.marker(), { version: null, clearPending: null });
      assert.equal(g.replica.status().prepared, 'nothing-saved');
    });

    it('saveOnShutdown() saves a session that was ready, and skips one that never became ready or logged out', async () => {
      const ready = await host();
      await writeTree(ready.paths.profileDir, profileFiles('shutdown'));
      const readySession = new TinySession('starting');
      ready.replica.watch(readySession);
      readySession.move('ready');
      readySession.move('stopping');
      await ready.replica.saveOnShutdown(5_000);
      assert.deepEqual(await ready.vault.head(), { current: 1, last: 1 }, 'the shutdown save of a ready session');
      assert.deepEqual(await ready.marker(), { version: 1, clearPending: null });
      assert.equal(ready.clock.pending(), 0, 'and no timer left');

      for (const states of [['qr', 'stopping'], ['authenticated', 'stopping'], ['ready', 'logged_out', 'stopping'], []] as const) {
        const h = await host();
        await writeTree(h.paths.profileDir, profileFiles('never-ready'));
        const session = new TinySession('starting');
        h.replica.watch(session);
        for (const state of states) session.move(state);
        await h.replica.saveOnShutdown(5_000);
        assert.deepEqual(await h.vault.head(), { current: null, last: 0 }, `not saved after ${states.join(' → ') || 'no state change'}`);
        assert.equal(h.replica.status().lastAttemptAt, null);
        assert.deepEqual(await h.marker(), { version: null, clearPending: null });
        assert.equal(h.clock.pending(), 0);
      }
    });
  });
});
