// First start, pairing, the bot, restart without a QR.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useScene } from '../support/scene';
import { Daemon } from '../support/daemon';
import { attachPhone } from '../support/phone';
import { eventually, sleep } from '../support/wait';

describe('first start, pairing, bot, restart', { timeout: 180_000 }, () => {
  const scene = useScene();

  it('answers /api/health at once, long before Chromium is up', async () => {
    scene.daemon = await Daemon.start(scene.sandbox, { waitForHttp: false });
    const ms = await scene.daemon.waitForHttp();
    const health = await scene.daemon.request('GET', '/api/health', false);
    assert.equal(health.status, 200);
    assert.match(health.headers.get('content-type') ?? '', /application\/health\+json/);
    const body = health.body as { status: string; whatsapp: string };
    assert.equal(body.status, 'warn');
    assert.notEqual(body.whatsapp, 'ready', 'health is up before the browser');
    // Spawn to answer includes Node and tsx start-up; the bench measures the built daemon.
    assert.ok(ms < 10_000, `health answered after ${ms} ms`);
  });

  it('shows a QR at /api/qr and on /qr, and refuses admin routes without the token', async () => {
    await scene.daemon.waitForState('qr');
    const qr = await scene.daemon.request('GET', '/api/qr');
    assert.equal(qr.status, 200);
    const payload = (qr.body as { qr: string }).qr;
    assert.equal(payload.split(',').length, 5, 'ref,noiseKey,identityKey,advSecret,platform');
    const png = await scene.daemon.request('GET', '/api/qr.png');
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    const page = await scene.daemon.request('GET', '/qr');
    assert.equal(page.status, 200);
    assert.match(String(page.body), /<html/i);
    for (const route of ['/api/qr', '/api/session/status', '/qr']) {
      assert.equal((await scene.daemon.request('GET', route, false)).status, 401, route);
    }
    assert.equal((await scene.daemon.request('DELETE', '/api/session/clear', false)).status, 401);
  });

  it("the page answers 'UNPAIRED' before login, and the watchdog (every 2 s here) lets the QR stand", async () => {
    const before = scene.daemon.transitions().length;
    await sleep(6_000);
    const status = await scene.daemon.status();
    assert.equal(status.state, 'qr');
    assert.equal(status.hasQr, true);
    assert.deepEqual(scene.daemon.transitions().slice(before), [], 'no transition while the QR is shown');
    assert.ok(!scene.daemon.lines.some((l) => /stopped answering|lost its WhatsApp socket/.test(l)), scene.daemon.tail());
  });

  it('the phone scans: ready, and the status shows the profile on disk and who is paired', async () => {
    scene.phone = await attachPhone(scene.daemon);
    await scene.phone.scan({ user: '15550001111', pushname: 'Sim Phone' });
    const status = await scene.daemon.waitForState('ready');
    assert.deepEqual(status.me, { id: '15550001111', name: 'Sim Phone' });
    const onDisk = await scene.daemon.waitFor((s) => s.exists === true && s.size > 0, 'profile on disk', 70_000);
    assert.equal(onDisk.path, scene.sandbox.profileDir);
    assert.equal((await scene.daemon.request('GET', '/api/qr')).status, 404, 'no QR once ready');
    const health = await scene.daemon.request('GET', '/api/health');
    assert.equal(health.status, 200);
    assert.equal((health.body as { status: string }).status, 'pass');
  });

  it('the bot answers !ping with pong and ignores plain text', async () => {
    assert.ok(scene.phone);
    await scene.phone.clearOutbox();
    await scene.phone.incoming({ from: '15550002222@c.us', body: 'hello there' });
    await scene.phone.incoming({ from: '15550002222@c.us', body: '!ping' });
    const deadline = Date.now() + 15_000;
    let outbox = await scene.phone.outbox();
    while (outbox.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      outbox = await scene.phone.outbox();
    }
    assert.equal(outbox.length, 1, JSON.stringify(outbox));
    assert.equal(outbox[0]?.body, 'pong');
    assert.equal(outbox[0]?.to, '15550002222@c.us');
  });

  it('a message that never decrypts is logged and counted 15 s later; the bot keeps answering meanwhile', async () => {
    assert.ok(scene.phone);
    await scene.phone.clearOutbox();
    const lost = await scene.phone.incoming({ from: '15550004444@c.us', body: '!ping', ciphertext: 'never' });
    await scene.phone.incoming({ from: '15550002222@c.us', body: '!ping' });
    await eventually(async () => ((await scene.phone?.outbox())?.length === 1 ? true : undefined), 'the bot answers');
    const line = await scene.daemon.waitForLog(/could not be decrypted/, 25_000);
    assert.ok(line.includes(lost.id), line);
    const status = (await scene.daemon.status()) as unknown as { state: string; counters: { undecryptableMessages: number } };
    assert.equal(status.counters.undecryptableMessages, 1);
    assert.equal(status.state, 'ready');
    const outbox = await scene.phone.outbox();
    assert.deepEqual(
      outbox.map((o) => o.to),
      ['15550002222@c.us'],
      'no answer to the message that never decrypted',
    );
  });

  it('SIGTERM: exits within 10 s, leaves no Chromium, keeps the profile', async () => {
    await scene.phone?.detach();
    scene.phone = undefined;
    const exit = await scene.daemon.stop('SIGTERM');
    assert.equal(exit.code, 0, scene.daemon.tail());
    assert.ok(exit.ms < 10_000, `exit took ${exit.ms} ms`);
    assert.deepEqual(await scene.sandbox.browserProcesses(), []);
    assert.ok(scene.daemon.lines.some((l) => /SIGTERM received/.test(l)));
    assert.ok(!scene.daemon.lines.some((l) => /logout\(\)|Logout on WhatsApp/.test(l)), 'shutdown never logs out');
  });

  it('restart: ready again with no QR ever shown, same account', async () => {
    scene.daemon = await Daemon.start(scene.sandbox);
    const seen: string[] = [];
    const status = await scene.daemon.waitForState('ready', 30_000, seen);
    assert.deepEqual(status.me, { id: '15550001111', name: 'Sim Phone' });
    assert.ok(!scene.daemon.transitions().includes('qr'), `transitions: ${scene.daemon.transitions().join(' ')}`);
    assert.ok(!seen.includes('qr'), `states seen: ${seen.join(' ')}`);
    const exit = await scene.daemon.stop('SIGTERM');
    assert.equal(exit.code, 0);
    assert.deepEqual(await scene.sandbox.browserProcesses(), []);
  });
});
