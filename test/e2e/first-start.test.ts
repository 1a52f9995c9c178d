// First start, pairing, the bot, restart without a QR.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SimPhone } from '../sim';
import { Daemon, Sandbox } from '../support/daemon';
import { attachPhone } from '../support/phone';
import { eventually, sleep } from '../support/wait';

describe('first start, pairing, bot, restart', { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let daemon: Daemon;
  let phone: SimPhone | undefined;

  before(async () => {
    sandbox = await Sandbox.create();
  });
  after(async () => {
    await phone?.detach();
    if (daemon && !daemon.hasExited) await daemon.stop('SIGKILL');
    await sandbox.dispose();
  });

  it('answers /api/health at once, long before Chromium is up', async () => {
    daemon = await Daemon.start(sandbox, { waitForHttp: false });
    const ms = await daemon.waitForHttp();
    const health = await daemon.request('GET', '/api/health', false);
    assert.equal(health.status, 200);
    assert.match(health.headers.get('content-type') ?? '', /application\/health\+json/);
    const body = health.body as { status: string; whatsapp: string };
    assert.equal(body.status, 'warn');
    assert.notEqual(body.whatsapp, 'ready', 'health is up before the browser');
    // Spawn to answer includes Node and tsx start-up; the bench measures the built daemon.
    assert.ok(ms < 10_000, `health answered after ${ms} ms`);
  });

  it('shows a QR at /api/qr and on /qr, and refuses admin routes without the token', async () => {
    await daemon.waitForState('qr');
    const qr = await daemon.request('GET', '/api/qr');
    assert.equal(qr.status, 200);
    const payload = (qr.body as { qr: string }).qr;
    assert.equal(payload.split(',').length, 5, 'ref,noiseKey,identityKey,advSecret,platform');
    const png = await daemon.request('GET', '/api/qr.png');
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    const page = await daemon.request('GET', '/qr');
    assert.equal(page.status, 200);
    assert.match(String(page.body), /<html/i);
    for (const route of ['/api/qr', '/api/session/status', '/qr']) {
      assert.equal((await daemon.request('GET', route, false)).status, 401, route);
    }
    assert.equal((await daemon.request('DELETE', '/api/session/clear', false)).status, 401);
  });

  it("the page answers 'UNPAIRED' before login, and the watchdog (every 2 s here) lets the QR stand", async () => {
    const before = daemon.transitions().length;
    await sleep(6_000);
    const status = await daemon.status();
    assert.equal(status.state, 'qr');
    assert.equal(status.hasQr, true);
    assert.deepEqual(daemon.transitions().slice(before), [], 'no transition while the QR is shown');
    assert.ok(!daemon.lines.some((l) => /stopped answering|lost its WhatsApp socket/.test(l)), daemon.tail());
  });

  it('the phone scans: ready, and the status shows the profile on disk and who is paired', async () => {
    phone = await attachPhone(daemon);
    await phone.scan({ user: '15550001111', pushname: 'Sim Phone' });
    const status = await daemon.waitForState('ready');
    assert.deepEqual(status.me, { id: '15550001111', name: 'Sim Phone' });
    const onDisk = await daemon.waitFor((s) => s.exists === true && s.size > 0, 'profile on disk', 70_000);
    assert.equal(onDisk.path, sandbox.profileDir);
    assert.equal((await daemon.request('GET', '/api/qr')).status, 404, 'no QR once ready');
    const health = await daemon.request('GET', '/api/health');
    assert.equal(health.status, 200);
    assert.equal((health.body as { status: string }).status, 'pass');
  });

  it('the bot answers !ping with pong and ignores plain text', async () => {
    assert.ok(phone);
    await phone.clearOutbox();
    await phone.incoming({ from: '15550002222@c.us', body: 'hello there' });
    await phone.incoming({ from: '15550002222@c.us', body: '!ping' });
    const deadline = Date.now() + 15_000;
    let outbox = await phone.outbox();
    while (outbox.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      outbox = await phone.outbox();
    }
    assert.equal(outbox.length, 1, JSON.stringify(outbox));
    assert.equal(outbox[0]?.body, 'pong');
    assert.equal(outbox[0]?.to, '15550002222@c.us');
  });

  it('a message that never decrypts is logged and counted 15 s later; the bot keeps answering meanwhile', async () => {
    assert.ok(phone);
    await phone.clearOutbox();
    const lost = await phone.incoming({ from: '15550004444@c.us', body: '!ping', ciphertext: 'never' });
    await phone.incoming({ from: '15550002222@c.us', body: '!ping' });
    await eventually(async () => ((await phone?.outbox())?.length === 1 ? true : undefined), 'the bot answers');
    const line = await daemon.waitForLog(/could not be decrypted/, 25_000);
    assert.ok(line.includes(lost.id), line);
    const status = (await daemon.status()) as unknown as { state: string; counters: { undecryptableMessages: number } };
    assert.equal(status.counters.undecryptableMessages, 1);
    assert.equal(status.state, 'ready');
    const outbox = await phone.outbox();
    assert.deepEqual(outbox.map((o) => o.to), ['15550002222@c.us'], 'no answer to the message that never decrypted');
  });

  it('SIGTERM: exits within 10 s, leaves no Chromium, keeps the profile', async () => {
    await phone?.detach();
    phone = undefined;
    const exit = await daemon.stop('SIGTERM');
    assert.equal(exit.code, 0, daemon.tail());
    assert.ok(exit.ms < 10_000, `exit took ${exit.ms} ms`);
    assert.deepEqual(await sandbox.browserProcesses(), []);
    assert.ok(daemon.lines.some((l) => /SIGTERM received/.test(l)));
    assert.ok(!daemon.lines.some((l) => /logout\(\)|Logout on WhatsApp/.test(l)), 'shutdown never logs out');
  });

  it('restart: ready again with no QR ever shown, same account', async () => {
    daemon = await Daemon.start(sandbox);
    const seen: string[] = [];
    const status = await daemon.waitForState('ready', 30_000, seen);
    assert.deepEqual(status.me, { id: '15550001111', name: 'Sim Phone' });
    assert.ok(!daemon.transitions().includes('qr'), `transitions: ${daemon.transitions().join(' ')}`);
    assert.ok(!seen.includes('qr'), `states seen: ${seen.join(' ')}`);
    const exit = await daemon.stop('SIGTERM');
    assert.equal(exit.code, 0);
    assert.deepEqual(await sandbox.browserProcesses(), []);
  });
});
