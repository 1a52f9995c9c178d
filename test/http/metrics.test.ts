// GET /metrics: Prometheus text that a real exposition parser reads, values that follow their
// sources, and the same auth rules as the admin routes plus a scraper token of its own.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { ClusterStatus } from '../../src/cluster/build-cluster';
import { emptyCounters, SESSION_STATES } from '../../src/session/session-state';
import { FakeSession, READY } from '../support/fake-session';
import { Scrape } from '../support/prometheus';
import { bearer, startApp, type TestApp, TOKEN } from './support/start-app';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const API_TOKEN = 'api-token-0123456789abcdef0000';

describe('GET /metrics', () => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  async function scrape(headers: Record<string, string> = bearer()): Promise<Scrape> {
    assert.ok(app);
    const res = await fetch(`${app.url}/metrics`, { headers });
    assert.equal(res.status, 200, await res.clone().text());
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return new Scrape(await res.text());
  }

  it('one gauge per state, 1 for the current one; time in state from the clock', async () => {
    const session = new FakeSession({ ...READY });
    app = await startApp({ session });
    await app.clock.advance(90_000);
    const first = await scrape();
    for (const state of SESSION_STATES) assert.equal(first.value('wa_tether_session_state', { state }), state === 'ready' ? 1 : 0, state);
    const since = session.snapshot().since.getTime();
    assert.equal(first.value('wa_tether_session_state_seconds'), (app.clock.now() - since) / 1000);
    assert.equal(first.family('wa_tether_session_state').type, 'GAUGE');

    session.set({ state: 'reconnecting', since: new Date(app.clock.now()) });
    await app.clock.advance(2_500);
    const second = await scrape();
    assert.equal(second.value('wa_tether_session_state', { state: 'ready' }), 0);
    assert.equal(second.value('wa_tether_session_state', { state: 'reconnecting' }), 1);
    assert.equal(second.value('wa_tether_session_state_seconds'), 2.5);
  });

  it('the lifecycle counters, by reason and kind, as the session counts them', async () => {
    const session = new FakeSession({ ...READY });
    app = await startApp({ session });
    const base = emptyCounters();
    session.countersValue = {
      ...base,
      readyTransitions: 3,
      qrShown: 2,
      remoteLogouts: 1,
      clears: 4,
      reconnects: { ...base.reconnects, browser_closed: 5 },
      watchdogFailures: 6,
      messagesReceived: 70,
      undecryptableMessages: 1,
    };
    const s = await scrape();
    assert.equal(s.family('wa_tether_reconnects_total').type, 'COUNTER');
    assert.equal(s.value('wa_tether_reconnects_total', { reason: 'browser_closed' }), 5);
    for (const reason of Object.keys(base.reconnects).filter((r) => r !== 'browser_closed')) {
      assert.equal(s.value('wa_tether_reconnects_total', { reason }), 0, reason);
    }
    assert.equal(s.value('wa_tether_ready_transitions_total'), 3);
    assert.equal(s.value('wa_tether_qr_shown_total'), 2);
    assert.equal(s.value('wa_tether_logouts_total', { kind: 'remote' }), 1);
    assert.equal(s.value('wa_tether_logouts_total', { kind: 'clear' }), 4);
    assert.equal(s.value('wa_tether_watchdog_failures_total'), 6);
    assert.equal(s.value('wa_tether_messages_received_total'), 70);
    assert.equal(s.value('wa_tether_messages_undecryptable_total'), 1);
  });

  it('outbox depth, the oldest pending age and deliveries by result from the real stores', async () => {
    app = await startApp({ session: new FakeSession({ ...READY }) });
    const before = await scrape();
    for (const name of ['wa_tether_outbox_messages', 'wa_tether_webhook_deliveries', 'wa_tether_oldest_pending_seconds']) {
      assert.deepEqual(before.family(name).metrics, [], `${name}: no sample claimed before the first count`);
    }

    await app.stores.outbox.accept({ chatId: '15550001111@c.us', text: 'one', replyTo: null }, 'api');
    await app.stores.outbox.accept({ chatId: '15550001111@c.us', text: 'two', replyTo: null }, 'api');
    await app.clock.advance(16_000);
    await app.stores.backlog.refresh();
    app.metricSources.sent = 9;
    app.metricSources.delivered = 8;
    app.metricSources.deliveryFailures = 2;
    app.metricSources.dead = 1;
    app.metricSources.browserBytes = 150 * 1024 * 1024;
    const s = await scrape();
    assert.equal(s.value('wa_tether_outbox_messages', { status: 'queued' }), 2);
    assert.equal(s.value('wa_tether_outbox_messages', { status: 'sent' }), 0);
    assert.equal(s.value('wa_tether_oldest_pending_seconds', { queue: 'outbox' }), 16);
    assert.equal(s.value('wa_tether_oldest_pending_seconds', { queue: 'webhooks' }), 0);
    assert.equal(s.value('wa_tether_webhook_deliveries', { status: 'pending' }), 0);
    assert.equal(s.value('wa_tether_messages_sent_total'), 9);
    assert.equal(s.value('wa_tether_webhook_attempts_total', { result: 'delivered' }), 8);
    assert.equal(s.value('wa_tether_webhook_attempts_total', { result: 'failed' }), 2);
    assert.equal(s.value('wa_tether_webhook_attempts_total', { result: 'dead' }), 1);
    assert.equal(s.value('wa_tether_browser_memory_bytes'), 150 * 1024 * 1024);
    assert.ok(s.value('process_resident_memory_bytes') > 0, "node's process metrics are there");
    assert.ok(s.families.has('nodejs_eventloop_lag_seconds'));
  });

  it('never public: no token is a 401, the API token a 403; the admin token and METRICS_TOKEN may read it', async () => {
    app = await startApp({ apiToken: API_TOKEN, metricsToken: METRICS_TOKEN });
    const none = await fetch(`${app.url}/metrics`);
    assert.equal(none.status, 401);
    const body = (await none.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'UNAUTHORIZED');
    assert.match(body.error.message, /METRICS_TOKEN/);
    assert.equal((await fetch(`${app.url}/metrics`, { headers: bearer('wrong-token-0123456789abcdef') })).status, 401);
    assert.equal((await fetch(`${app.url}/metrics`, { headers: bearer(API_TOKEN) })).status, 403);
    await scrape(bearer(TOKEN));
    await scrape(bearer(METRICS_TOKEN));
    // The metrics token opens nothing else.
    assert.equal((await fetch(`${app.url}/api/session/status`, { headers: bearer(METRICS_TOKEN) })).status, 403);
    assert.equal((await fetch(`${app.url}/api/qr`, { headers: bearer(METRICS_TOKEN) })).status, 403);
    assert.equal(
      (
        await fetch(`${app.url}/api/messages`, {
          method: 'POST',
          headers: { ...bearer(METRICS_TOKEN), 'Content-Type': 'application/json' },
          body: '{}',
        })
      ).status,
      403,
    );
    // The scrape text carries no secret: no token, no QR.
    const text = (await scrape(bearer(METRICS_TOKEN))).text;
    for (const secret of [TOKEN, METRICS_TOKEN, API_TOKEN]) assert.equal(text.includes(secret), false);
  });

  it('without ADMIN_TOKEN: this machine only, as the admin routes', async () => {
    app = await startApp({ adminToken: null });
    await scrape({});
    const proxied = await fetch(`${app.url}/metrics`, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    assert.equal(proxied.status, 403);
  });

  it('the lease and the saves: 1 without a database; with one, 1 only while holding, saves by result', async () => {
    app = await startApp({ session: new FakeSession({ ...READY }) });
    let metrics = await scrape();
    assert.equal(metrics.value('wa_tether_lease_held'), 1);
    assert.equal(metrics.value('wa_tether_session_saves_total', { result: 'saved' }), 0);
    await app.close();
    let role: ClusterStatus['role'] = 'standby';
    const cluster = (): ClusterStatus => ({
      role,
      problem: null,
      database: { reachable: true, lastError: null, migrated: true },
      lease: { role, self: 'host/1/abc', holder: null, generation: 1, expiresAt: null, checkedAt: null, lastError: null },
      backup: { version: 2, lastSavedAt: null, lastAttemptAt: null, lastError: null, saves: 3, failures: 1, prepared: 'restored' },
    });
    app = await startApp({ session: new FakeSession({ ...READY }), cluster });
    metrics = await scrape();
    assert.equal(metrics.value('wa_tether_lease_held'), 0);
    role = 'holder';
    metrics = await scrape();
    assert.equal(metrics.value('wa_tether_lease_held'), 1);
    assert.equal(metrics.value('wa_tether_session_saves_total', { result: 'saved' }), 3);
    assert.equal(metrics.value('wa_tether_session_saves_total', { result: 'failed' }), 1);
  });

  it("docs/metrics.md's table names exactly the metrics there are", async () => {
    app = await startApp({ session: new FakeSession({ ...READY }) });
    await app.stores.backlog.refresh();
    const scraped = [...(await scrape()).families.keys()].filter((name) => name.startsWith('wa_tether_')).sort();
    const page = readFileSync(path.resolve(__dirname, '../../docs/metrics.md'), 'utf8');
    // The page's first table: the metrics, before the scrape config and the alerts.
    const section = page.slice(0, page.indexOf('\n## '));
    assert.ok(section.includes('| metric | type | labels | what |'), 'the table is where it was looked for');
    const documented = [...new Set([...section.matchAll(/^\| `(wa_tether_\w+)` \|/gm)].map((m) => m[1]!))].sort();
    assert.deepEqual(documented, scraped);
  });

  it('GET only', async () => {
    app = await startApp();
    const res = await fetch(`${app.url}/metrics`, { method: 'POST', headers: bearer() });
    assert.equal(res.status, 405);
    assert.match(res.headers.get('allow') ?? '', /^GET\b/);
  });
});
