// With DATABASE_URL, health and status say which instance runs the account and what stands in
// its way; a standby refuses what would start a browser. The cluster status is set by the test.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterStatus } from '../../src/cluster/build-cluster';
import { standbyGuard } from '../../src/cluster/standby-guard';
import type { ErrorBody, HealthBody, SessionStatusBody } from '../../src/http/bodies';
import { FakeSession } from '../support/fake-session';
import { bearer, startApp, type TestApp } from './support/start-app';

const HOLDER: ClusterStatus = {
  role: 'holder',
  problem: null,
  database: { reachable: true, lastError: null, migrated: true },
  lease: {
    role: 'holder',
    self: 'host-a/41/abc123',
    holder: 'host-a/41/abc123',
    generation: 3,
    expiresAt: new Date('2025-01-02T04:00:30.000Z'),
    checkedAt: new Date('2025-01-02T04:00:00.000Z'),
    lastError: null,
  },
  backup: {
    version: 7,
    lastSavedAt: new Date('2025-01-02T03:59:00.000Z'),
    lastAttemptAt: new Date('2025-01-02T03:59:00.000Z'),
    lastError: null,
    saves: 4,
    failures: 1,
    prepared: 'restored',
  },
};

const STANDBY: ClusterStatus = {
  ...HOLDER,
  role: 'standby',
  problem: 'standby: another instance holds the session',
  lease: { ...HOLDER.lease, role: 'standby', self: 'host-b/7/def456' },
};

async function health(app: TestApp, headers: Record<string, string> = {}): Promise<{ code: number; body: HealthBody }> {
  const res = await fetch(`${app.url}/api/health`, { headers });
  return { code: res.status, body: (await res.json()) as HealthBody };
}

describe('health and status with DATABASE_URL', () => {
  const session = new FakeSession();
  let current: ClusterStatus = HOLDER;
  let holder = true;
  let app: TestApp;
  before(async () => {
    app = await startApp({ session, cluster: () => current, overrides: { session: standbyGuard(session, () => holder) } });
  });
  after(() => app.close());

  it('the holder, ready, database reachable: pass, and the public body says only the role', async () => {
    current = HOLDER;
    session.set({ state: 'ready' });
    const { code, body } = await health(app);
    assert.equal(code, 200);
    assert.deepEqual(body, { status: 'pass', whatsapp: 'ready', authenticated: true, cluster: { role: 'holder', problem: null } });
  });

  it('a standby: 200 warn with "standby: another instance holds the session" (never fail: the platform would restart it in a loop)', async () => {
    current = STANDBY;
    session.set({ state: 'starting' });
    const { code, body } = await health(app);
    assert.equal(code, 200);
    assert.deepEqual(body, {
      status: 'warn',
      whatsapp: 'starting',
      authenticated: false,
      cluster: { role: 'standby', problem: 'standby: another instance holds the session' },
    });
  });

  it('ready but the database unreachable: warn, saying so; the cause (an internal address) only to authorized callers', async () => {
    current = {
      ...HOLDER,
      problem: 'database unreachable: the session runs on; saves and sends wait for it',
      database: { reachable: false, lastError: 'connect ECONNREFUSED 10.0.0.5:5432', migrated: true },
    };
    session.set({ state: 'ready' });
    const { code, body } = await health(app);
    assert.equal(code, 200);
    assert.equal(body.status, 'warn');
    assert.equal(body.cluster?.problem, 'database unreachable: the session runs on; saves and sends wait for it');
    assert.ok(!JSON.stringify(body).includes('10.0.0.5'));
    const detail = await health(app, bearer());
    assert.equal((detail.body.cluster as { database?: { lastError: string } }).database?.lastError, 'connect ECONNREFUSED 10.0.0.5:5432');
  });

  it('the lease lost: 503 fail while it stops', async () => {
    current = { ...HOLDER, role: 'lost', problem: 'the lease on the session was lost; stopping' };
    session.set({ state: 'ready' });
    const { code, body } = await health(app);
    assert.equal(code, 503);
    assert.equal(body.status, 'fail');
  });

  it('authorized callers get the lease and the saved session, times as ISO strings', async () => {
    current = HOLDER;
    session.set({ state: 'ready' });
    const { body } = await health(app, bearer());
    assert.deepEqual(body.cluster, {
      role: 'holder',
      problem: null,
      database: { reachable: true, lastError: null, migrated: true },
      lease: {
        self: 'host-a/41/abc123',
        holder: 'host-a/41/abc123',
        generation: 3,
        expiresAt: '2025-01-02T04:00:30.000Z',
        checkedAt: '2025-01-02T04:00:00.000Z',
        lastError: null,
      },
      sessionBackup: {
        version: 7,
        lastSavedAt: '2025-01-02T03:59:00.000Z',
        lastAttemptAt: '2025-01-02T03:59:00.000Z',
        lastError: null,
        saves: 4,
        failures: 1,
        prepared: 'restored',
      },
    });
    const status = (await (await fetch(`${app.url}/api/session/status`, { headers: bearer() })).json()) as SessionStatusBody;
    assert.deepEqual(status.cluster, body.cluster);
  });

  it('a standby refuses a clear and pairing changes with 503 STANDBY, and calls nothing', async () => {
    holder = false;
    current = STANDBY;
    const before = session.clearCalls;
    const clear = await fetch(`${app.url}/api/session/clear`, { method: 'DELETE', headers: bearer() });
    assert.equal(clear.status, 503);
    const body = (await clear.json()) as ErrorBody;
    assert.equal(body.error.code, 'STANDBY');
    assert.match(body.error.message, /another instance holds the session/);
    assert.equal(session.clearCalls, before);
    session.set({ state: 'qr' });
    const code = await fetch(`${app.url}/api/session/pairing-code`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber: '+1 555 000 1111' }),
    });
    assert.equal(code.status, 503);
    assert.equal(((await code.json()) as ErrorBody).error.code, 'STANDBY');
  });

  it('the holder clears as before', async () => {
    holder = true;
    current = HOLDER;
    const before = session.clearCalls;
    const clear = await fetch(`${app.url}/api/session/clear`, { method: 'DELETE', headers: bearer() });
    assert.equal(clear.status, 200);
    assert.equal(session.clearCalls, before + 1);
  });
});
