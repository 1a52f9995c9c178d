// With DATABASE_URL the session, the outbox and the deliveries live in PostgreSQL: a session moves
// between "hosts" (each its own AUTH_PATH) with no QR, one host runs the account while another
// stands by, and a database restart under a ready daemon loses nothing. A real PostgreSQL server
// on loopback, the real daemon, library and Chromium, the simulated WhatsApp Web.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { sessionPaths } from '../../src/config/session-paths';
import { rm } from 'node:fs/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { ClusterBody, ClusterDetailBody, HealthBody } from '../../src/http/bodies';
import { CHROME_PATH } from '../support/browser';
import { CrashCheck } from '../support/crash-check';
import { doctor } from '../support/doctor';
import { ADMIN_TOKEN, CLIENT_ID, Daemon, REPO_ROOT, Sandbox } from '../support/daemon';
import { attachPhone, startPairedDaemon } from '../support/phone';
import { postgresUnavailable, TestPostgres } from '../support/postgres';
import { eventually, sleep } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';
import { childEnv } from '../support/child-env';
import { API_TOKEN, getMessage, postMessage, whenSent } from '../support/messages-api';
import { sample, sha256 } from '../support/media-samples';
import { PG_MIGRATIONS } from '../../src/storage/postgres/pg-migrations';

const SKIP = postgresUnavailable();
if (SKIP !== null) console.error(`\n*** ${SKIP} ***\n`);

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/** Short, so a takeover after kill -9 takes seconds; long enough to ride out a database restart. */
const LEASE_TTL_MS = 8_000;
const PASSWORD = 'pw-never-logged-7f3a9c';
/** The file host A accepts and host B sends. */
const QUEUED_PDF = sample.pdf();

async function health(daemon: Daemon, admin = false): Promise<{ status: number; body: HealthBody }> {
  const res = await fetch(daemon.url('/api/health'), admin ? { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } } : {});
  return { status: res.status, body: (await res.json()) as HealthBody };
}

async function cluster(daemon: Daemon): Promise<ClusterDetailBody> {
  const status = await daemon.status();
  assert.ok(status.cluster, 'status has the cluster section with DATABASE_URL');
  return status.cluster;
}

/** `session.saved` records in the daemon's log after `since` (ms since the epoch). */
function saves(daemon: Daemon, since = 0): Array<{ reason: unknown; version: unknown; at: number }> {
  return daemon.records
    .filter((r) => r.event === 'session.saved')
    .map((r) => ({ reason: r.reason, version: r.version, at: Date.parse(String(r.timestamp)) }))
    .filter((r) => r.at >= since);
}

describe('a session moving between hosts through PostgreSQL', { skip: SKIP ?? false, timeout: 420_000 }, () => {
  let pg: TestPostgres;
  let url: string;
  let hostA: Sandbox;
  let hostB: Sandbox;
  let receiver: WebhookReceiver;
  const daemons: Daemon[] = [];
  const env = (): Record<string, string> => ({
    DATABASE_URL: url,
    LEASE_TTL_MS: String(LEASE_TTL_MS),
    API_TOKEN,
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_RETRY_BASE_MS: '300',
    WEBHOOK_RETRY_MAX_MS: '1000',
    SEND_CHAT_GAP_MS: '0',
  });
  const start = async (host: Sandbox, extra: Record<string, string> = {}, waitForHttp = true): Promise<Daemon> => {
    const daemon = await Daemon.start(host, { env: { ...env(), ...extra }, waitForHttp });
    daemons.push(daemon);
    return daemon;
  };
  const wipe = async (host: Sandbox): Promise<void> => {
    await rm(host.authPath, { recursive: true, force: true });
  };

  before(async () => {
    pg = await TestPostgres.start();
    // With a password (the test server trusts loopback, so it is not checked): it must never be logged.
    url = (await pg.createDatabase('hosts')).replace('postgres://wa@', `postgres://wa:${PASSWORD}@`);
    hostA = await Sandbox.create();
    hostB = await Sandbox.create();
    receiver = await WebhookReceiver.start();
  });
  const crashes = new CrashCheck();
  afterEach(() => crashes.check(daemons));
  after(async () => {
    for (const daemon of daemons) if (!daemon.hasExited) await daemon.stop('SIGKILL');
    await receiver?.close();
    await hostA?.dispose();
    await hostB?.dispose();
    await pg?.destroy();
  });

  let a: Daemon;
  let b: Daemon;
  let holder: Daemon;
  let standby: Daemon;
  let queuedId = '';
  let pairedOnA: string | null = null;
  let pendingEventId = '';

  it('host A pairs by QR and saves the session within seconds of ready, from a working directory that is not AUTH_PATH', async () => {
    // One message a minute: the second of two stays queued when A stops.
    a = await startPairedDaemon(hostA, { env: { ...env(), SEND_RATE_PER_MINUTE: '1' } });
    daemons.push(a);
    const readyAt = Date.now();
    const saved = await eventually(async () => saves(a)[0], 'the first save', 15_000);
    assert.ok(saved.at - readyAt < 10_000, `first save ${saved.at - readyAt} ms after ready (RemoteAuth waits 60 s)`);
    assert.equal(saved.version, 1);
    const detail = await cluster(a);
    assert.equal(detail.role, 'holder');
    assert.equal(detail.sessionBackup.version, 1);
    assert.equal(detail.sessionBackup.prepared, 'nothing-saved');
    assert.equal(detail.database.reachable, true);
    const publicHealth = await health(a);
    assert.equal(publicHealth.body.status, 'pass');
    assert.deepEqual(publicHealth.body.cluster, { role: 'holder', problem: null } satisfies ClusterBody);
    // The harness runs the daemon from the repository: nothing was written there (RemoteAuth's zip path).
    // Nothing left beside the profile by the save (no zip, no staging copy of the keys), in
    // AUTH_PATH or in the daemon's working directory.
    const beside = readdirSync(hostA.authPath).filter((name) => /\.zip$|\.(saving|restoring|replaced)-/.test(name));
    assert.deepEqual(beside, []);
    assert.deepEqual(
      readdirSync(REPO_ROOT).filter((name) => name.endsWith('.zip')),
      [],
    );
    assert.ok(!a.lines.some((l) => /ENOENT.*\.zip/.test(l)), 'no missing zip in the log');
  });

  it('a message left queued and a delivery left failing on host A', async () => {
    const first = await postMessage(a, { to: '+1 555 000 3001', text: 'first, sent by A' });
    assert.equal(first.status, 202);
    await eventually(async () => ((await getMessage(a, first.body.id)).status === 'sent' ? true : undefined), 'the first message sent');
    // A file: its bytes go into the database with it, so the host that sends it need not be this one.
    const second = await postMessage(a, {
      to: '+1 555 000 3002',
      text: 'second, waits for the rate',
      media: { data: QUEUED_PDF.toString('base64'), filename: 'from-a.pdf' },
    });
    assert.deepEqual(second.body.media, {
      mimetype: 'application/pdf',
      filename: 'from-a.pdf',
      size: QUEUED_PDF.length,
      sha256: sha256(QUEUED_PDF),
      kind: 'document',
    });
    assert.equal(second.status, 202);
    queuedId = second.body.id;
    // The receiver refuses while A runs: the incoming message's delivery keeps failing.
    receiver.fallback = 503;
    const phone = await attachPhone(a);
    try {
      const incoming = await phone.incoming({ from: '15550003003', body: 'hello from the phone' });
      await receiver.waitFor(receiver.received.length + 1);
      const event = receiver.received
        .map((r) => ({ id: String(r.headers['webhook-id']), body: JSON.parse(r.body) as { type: string; data: { id?: string } } }))
        .find((e) => e.body.type === 'message' && e.body.data.id === incoming.id);
      assert.ok(event, 'the message event was attempted');
      pendingEventId = event.id;
    } finally {
      await phone.detach();
    }
    assert.equal((await getMessage(a, queuedId)).status, 'queued');
  });

  it('A stops on SIGTERM: it saves after the browser closed and hands the lease back', async () => {
    const since = Date.now();
    const exit = await a.stop('SIGTERM');
    pairedOnA = readMetadata(hostA).pairedAt;
    assert.ok(pairedOnA);
    assert.equal(exit.code, 0, a.tail());
    assert.ok(
      saves(a, since).some((s) => s.reason === 'shutdown'),
      a.tail(),
    );
    assert.ok(
      a.lines.some((l) => /Released the lease/.test(l)),
      a.tail(),
    );
    assert.ok(exit.ms < 8_000, `stopped in ${exit.ms} ms`);
  });

  it('host B with an empty AUTH_PATH and the same DATABASE_URL comes up ready with no QR; the queue and the delivery follow', async () => {
    await wipe(hostA);
    receiver.fallback = 204;
    const startedAt = Date.now();
    b = await start(hostB);
    const ready = await b.waitForState('ready', 30_000);
    assert.ok(!b.transitions().includes('qr'), `no QR: ${b.transitions().join(' ')}`);
    assert.deepEqual(ready.me, { id: '15550001111', name: 'Sim Phone' });
    const detail = await cluster(b);
    assert.equal(detail.sessionBackup.prepared, 'restored');
    assert.ok(existsSync(hostB.profileDir));
    // The metadata came with it: paired when A paired, not when B became ready.
    assert.equal(readMetadata(hostB).pairedAt, pairedOnA);
    // The message A accepted is sent by B.
    const sent = await whenSent(b, queuedId, 'the queued message sent by B', 20_000);
    assert.equal(sent.attempts, 1);
    const phone = await attachPhone(b);
    try {
      const onB = (await phone.outbox()).find((o) => o.media?.caption === 'second, waits for the rate');
      assert.ok(onB?.media, "on B's phone");
      assert.deepEqual([onB.media.type, onB.media.filename, onB.media.sha256], ['document', 'from-a.pdf', sha256(QUEUED_PDF)]);
      assert.equal(sha256(await phone.outboxMedia(onB.id)), sha256(QUEUED_PDF), 'byte for byte, from the database');
    } finally {
      await phone.detach();
    }
    // The delivery A could not make is made by B, with the same webhook-id, signed.
    const delivered = await eventually(
      async () => receiver.received.filter((r) => r.headers['webhook-id'] === pendingEventId).find((r) => r.at > startedAt),
      'the pending delivery made by B',
    );
    const verified = new Webhook(SECRET).verify(delivered.body, delivered.headers as Record<string, string>) as { type: string };
    assert.equal(verified.type, 'message');
    await eventually(async () => {
      const res = await fetch(b.url('/api/webhooks/deliveries?status=delivered&limit=200'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const list = (await res.json()) as { deliveries: Array<{ eventId: string }> };
      return list.deliveries.find((d) => d.eventId === pendingEventId);
    }, 'the delivery delivered');
  });

  it('A and B started together: one runs the account, the other waits as a standby (warn, no browser, no clear)', async () => {
    assert.equal((await b.stop('SIGTERM')).code, 0, b.tail());
    [a, b] = await Promise.all([start(hostA), start(hostB)]);
    const roles = async (): Promise<string[]> => Promise.all([a, b].map(async (d) => String((await health(d)).body.cluster?.role)));
    await eventually(async () => ((await roles()).sort().join() === 'holder,standby' ? true : undefined), 'one holder, one standby');
    const [holderFirst] = await roles();
    holder = holderFirst === 'holder' ? a : b;
    standby = holder === a ? b : a;
    const standbyHost = holder === a ? hostB : hostA;
    await holder.waitForState('ready', 30_000);
    assert.ok(!holder.transitions().includes('qr'), holder.transitions().join(' '));
    const waiting = await health(standby);
    assert.equal(waiting.status, 200);
    assert.equal(waiting.body.status, 'warn');
    assert.equal(waiting.body.cluster?.problem, 'standby: another instance holds the session');
    assert.equal((await standby.status()).stateMessage.startsWith('standby: another instance holds the session'), true);
    await sleep(1_500);
    assert.deepEqual(await standbyHost.browserProcesses(), [], 'a standby starts no browser');
    const clear = await fetch(standby.url('/api/session/clear'), { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(clear.status, 503);
    assert.equal(((await clear.json()) as { error: { code: string } }).error.code, 'STANDBY');
    assert.equal((await holder.status()).state, 'ready');
    // A send accepted by the standby is committed to the shared outbox and sent by the holder.
    const viaStandby = await postMessage(standby, { to: '+1 555 000 3004', text: 'accepted by the standby' });
    assert.equal(viaStandby.status, 202);
    await eventually(async () => ((await getMessage(holder, viaStandby.body.id)).status === 'sent' ? true : undefined), 'sent by the holder', 15_000);
  });

  it('kill -9 of the holder: the standby takes over within the lease time, restoring the session with no QR', async () => {
    const killedHost = holder === a ? hostA : hostB;
    const killedAt = Date.now();
    await holder.stop('SIGKILL');
    const ready = await standby.waitForState('ready', 40_000);
    const tookMs = Date.now() - killedAt;
    assert.ok(!standby.transitions().includes('qr'), `no QR: ${standby.transitions().join(' ')}`);
    // The holder renews every ttl/6, so its lease ends 5/6 of the ttl to the whole ttl after the kill.
    assert.ok(tookMs >= (LEASE_TTL_MS * 5) / 6 - 250, `not before the lease expired (${tookMs} ms)`);
    // Restored when the holder saved since the standby's copy; its own copy when nothing changed.
    assert.ok(['restored', 'kept-local'].includes(String((await cluster(standby)).sessionBackup.prepared)));
    assert.equal(ready.state, 'ready');
    // The killed daemon's browser died with it (setpriv): never two browsers on one account.
    await eventually(async () => ((await killedHost.browserProcesses()).length === 0 ? true : undefined), "the killed holder's browser gone", 5_000);
    a = standby;
  });

  it('the database restarted under a ready daemon: it stays ready, a send during the outage is refused clearly, nothing accepted is lost, saves resume', async () => {
    const before = await postMessage(a, { to: '+1 555 000 3005', text: 'before the restart' });
    assert.equal(before.status, 202);
    await pg.stopServer();
    const during = await postMessage(a, { to: '+1 555 000 3006', text: 'during the outage' });
    assert.equal(during.status, 503);
    assert.equal(during.body.error?.code, 'DATABASE_UNAVAILABLE');
    assert.match(during.body.error?.message ?? '', /Retry in a few seconds/);
    const warn = await health(a, true);
    assert.equal(warn.body.status, 'warn');
    assert.match(String(warn.body.cluster?.problem), /database unreachable/);
    await sleep(500);
    const restartedAt = Date.now();
    await pg.resume();
    assert.equal((await a.status()).state, 'ready');
    assert.ok(!a.transitions().slice(-1).includes('reconnecting'));
    await eventually(async () => ((await getMessage(a, before.body.id)).status === 'sent' ? true : undefined), 'the message from before sent');
    const after = await postMessage(a, { to: '+1 555 000 3007', text: 'after the restart' });
    assert.equal(after.status, 202);
    await eventually(async () => ((await getMessage(a, after.body.id)).status === 'sent' ? true : undefined), 'the message from after sent');
    await eventually(async () => ((await health(a)).body.status === 'pass' ? true : undefined), 'health pass again');
    const since = Date.now();
    assert.equal((await a.stop('SIGTERM')).code, 0, a.tail());
    assert.ok(
      saves(a, Math.min(since, restartedAt)).some((s) => s.reason === 'shutdown'),
      `a save after the restart: ${a.tail()}`,
    );
  });

  it('the database away longer than half the lease: the holder stops its browser and exits, then a start resumes with no QR', async () => {
    await wipe(hostB);
    b = await start(hostB);
    await b.waitForState('ready', 30_000);
    assert.ok(!b.transitions().includes('qr'), b.transitions().join(' '));
    await pg.stopServer();
    const exit = await b.exited;
    assert.equal(exit.code, 1, b.tail());
    assert.ok(
      b.lines.some((l) => /Lost the session's lease/.test(l)),
      b.tail(),
    );
    assert.deepEqual(await hostB.browserProcesses(), [], 'the browser stopped with the lease');
    await pg.resume();
    b = await start(hostB);
    await b.waitForState('ready', 30_000);
    assert.ok(!b.transitions().includes('qr'), b.transitions().join(' '));
    assert.equal((await cluster(b)).sessionBackup.prepared, 'kept-local');
    assert.equal((await b.stop('SIGTERM')).code, 0);
  });

  it('a clear on the holder deletes the saved copy: the next host starts unpaired, with a QR', async () => {
    b = await start(hostB);
    await b.waitForState('ready', 30_000);
    const clear = await fetch(b.url('/api/session/clear'), { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(clear.status, 200);
    await b.waitForState('qr', 30_000);
    assert.equal((await b.stop('SIGTERM')).code, 0);
    a = await start(hostA);
    await a.waitForState('qr', 30_000);
    assert.equal((await cluster(a)).sessionBackup.prepared, 'forgot-cleared');
    assert.equal((await a.stop('SIGTERM')).code, 0);
  });

  it('the doctor reads the database; a wrong one is a FAIL with a fix; the URL and its password never printed', async () => {
    const good = await doctor({ ...doctorEnv(hostA), DATABASE_URL: url });
    assert.match(good.line('database').verdict, /^(PASS|WARN)$/);
    assert.match(good.line('database').detail, new RegExp(`^connected; schema version ${PG_MIGRATIONS.length}; nobody holds the session`));
    const bad = await doctor({ ...doctorEnv(hostA), DATABASE_URL: `postgres://wa:${PASSWORD}@127.0.0.1:1/none` });
    assert.equal(bad.code, 1);
    assert.equal(bad.line('database').verdict, 'FAIL');
    assert.match(bad.line('database').detail, /^DATABASE_URL does not connect: .*ECONNREFUSED/);
    assert.match(bad.line('database').fix ?? '', /^check the host, port, user, password and database name in DATABASE_URL/);
    for (const report of [good, bad]) assert.ok(!report.text.includes(PASSWORD), report.text);
  });

  it('no daemon ever logged DATABASE_URL or its password', () => {
    assert.ok(daemons.length >= 7, String(daemons.length));
    for (const daemon of daemons) {
      const leaked = daemon.lines.filter((l) => l.includes(PASSWORD) || l.includes(url));
      assert.deepEqual(leaked, []);
    }
  });
});

function readMetadata(host: Sandbox): { pairedAt: string | null } {
  return JSON.parse(readFileSync(sessionPaths(host.authPath, CLIENT_ID).metadataFile, 'utf8')) as { pairedAt: string | null };
}

function doctorEnv(host: Sandbox): Record<string, string> {
  return { ...childEnv(), AUTH_PATH: host.authPath, WEB_CACHE_PATH: host.cachePath, CLIENT_ID, PORT: '1', HOST: '127.0.0.1', CHROME_PATH };
}
