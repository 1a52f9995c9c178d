/**
 * What whatsapp-web.js 1.34.7 itself does, pinned: a bare `Client` (no daemon) on the simulated
 * WhatsApp Web in real headless Chromium. The daemon's adapter relies on each behaviour
 * asserted here; when an upgrade changes one, this file says which.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Message } from 'whatsapp-web.js';
import { ALICE, bareHarness, ME, pairFresh } from './support/bare-client';
import { sleep, withTimeout } from '../support/wait';

test('QR pairing, messages both ways, restart without a QR', { timeout: 180_000 }, async (t) => {
  const h = await bareHarness(t);

  const c1 = h.newClient();
  const [qr] = (await c1.rec.waitFor('qr', { timeoutMs: 30_000 })) as [string];
  const parts = qr.split(',');
  assert.equal(parts.length, 5, `ref,noiseKey,identityKey,advSecret,platform: ${qr}`);
  assert.match(parts[0] ?? '', /^2@/, 'ref');
  assert.equal(parts[4], 'WEB', 'platform');
  assert.equal(await withTimeout(c1.init, 10_000, 'initialize()'), 'resolved', 'initialize() resolves once the QR is up');
  // 1.34.7 reads Socket.state directly: before login that is 'UNPAIRED' (1.34.6 answered null).
  assert.equal(await c1.client.getState(), 'UNPAIRED');

  const phone = await h.attachPhone();
  const before = await phone.state();
  assert.equal(before.socketState, 'UNPAIRED');
  assert.equal(before.qrRef, parts[0], 'the client shows the page QR');
  // The ADV secret comes from WAWebUserPrefsMultiDevice.getADVSecretKey(), read synchronously.
  assert.ok((parts[3] ?? '').length >= 40, 'the ADV secret is in the QR');

  const beforeScan = c1.rec.mark();
  await phone.scan(ME);
  await c1.rec.waitFor('authenticated', { from: beforeScan });
  await c1.rec.waitFor('ready', { from: beforeScan });
  assert.deepEqual(
    c1.rec.events
      .slice(beforeScan)
      .filter((e) => ['authenticated', 'ready'].includes(e.name))
      .map((e) => e.name),
    ['authenticated', 'ready'],
  );
  assert.equal(c1.client.info.wid._serialized, `${ME.user}@c.us`);
  assert.equal(c1.client.info.pushname, ME.pushname);
  assert.ok(c1.rec.count('loading_screen', beforeScan) >= 1, 'offline progress (Cmd offline_progress_update_from_bridge)');
  assert.equal(await c1.client.getState(), 'CONNECTED');

  // Incoming: 'message' with the fields the daemon forwards.
  const beforeMsg = c1.rec.mark();
  const sent = await phone.incoming({ from: ALICE, body: 'ping', notifyName: 'Alice' });
  assert.equal(sent.queued, false);
  const [msg] = (await c1.rec.waitFor('message', { from: beforeMsg })) as [Message];
  assert.equal(msg.body, 'ping');
  assert.equal(msg.from, ALICE);
  assert.equal(msg.fromMe, false);
  assert.equal(msg.type, 'chat');
  assert.equal(msg.id._serialized, sent.id);
  assert.equal(typeof msg.timestamp, 'number');
  assert.equal(msg.hasMedia, false);
  assert.equal((msg as unknown as { _data: { notifyName?: string } })._data.notifyName, 'Alice');

  // A group message carries its author.
  const group = '120363000000000001@g.us';
  const fromGroup = await phone.incoming({ from: group, author: '15550003333@c.us', body: 'hi all', notifyName: 'Carol' });
  const [groupMsg] = (await c1.rec.waitFor('message', {
    from: beforeMsg,
    pred: (m) => (m as Message).id._serialized === fromGroup.id,
  })) as [Message];
  assert.equal(groupMsg.from, group);
  assert.equal(groupMsg.author, '15550003333@c.us');

  // Outgoing: reply (quoted) and sendMessage, each acked by the "server".
  const reply = await withTimeout(msg.reply('pong'), 10_000, 'message.reply');
  assert.equal(reply.body, 'pong');
  assert.equal(reply.hasQuotedMsg, true);
  const beforeSend = c1.rec.mark();
  const out = await withTimeout(c1.client.sendMessage(ALICE, 'hello from the bot'), 10_000, 'sendMessage');
  assert.equal(out.to, ALICE);
  assert.match(out.id._serialized, /^true_15550002222@c\.us_3EB0/);
  const [, ack] = (await c1.rec.waitFor('message_ack', {
    from: beforeSend,
    pred: (m) => (m as Message).id._serialized === out.id._serialized,
  })) as [Message, number];
  assert.equal(ack, 1);
  const outbox = await phone.outbox();
  assert.deepEqual(
    outbox.map((o) => ({ to: o.to, body: o.body, quotedMsgId: o.quotedMsgId })),
    [
      { to: ALICE, body: 'pong', quotedMsgId: msg.id._serialized },
      { to: ALICE, body: 'hello from the bot', quotedMsgId: null },
    ],
  );
  assert.deepEqual(
    (await phone.seen()).map((s) => s.chat),
    [ALICE, ALICE],
    'sendSeen before each send',
  );

  // getNumberId asks WhatsApp whether a number exists: null when it does not.
  await phone.configure({ unregisteredNumbers: ['15559990000'] });
  assert.equal(await c1.client.getNumberId('15559990000'), null);
  assert.equal((await c1.client.getNumberId('15550002222'))?._serialized, ALICE);

  // The drift detector: every module the library asked for is implemented or known to need only
  // existence, and no implemented module lacks a member the library read.
  const modules = await phone.requiredModules();
  t.diagnostic(`window.require: ${modules.requested.length} modules requested: ${modules.requested.join(', ')}`);
  const unknown = modules.requested.filter((name) => !modules.implemented.includes(name) && !modules.existsOnly.includes(name));
  assert.deepEqual(unknown, [], 'modules the library asks for that the page neither implements nor lists as exists-only');
  for (const name of modules.implemented) {
    assert.equal(modules.missingMembers[name], undefined, `the library reads members of ${name} the page lacks`);
  }
  assert.deepEqual(await phone.errors(), [], 'no page errors');
  assert.deepEqual(c1.pageErrors, []);
  assert.deepEqual(c1.foreignRequests, [], 'the page made no request besides https://web.whatsapp.com/');
  await phone.detach();

  // Restart on the same profile: authenticated and ready with no QR; the page's state persisted.
  await withTimeout(c1.client.destroy(), 15_000, 'destroy');
  const c2 = h.newClient();
  await c2.rec.waitFor('ready', { timeoutMs: 30_000 });
  assert.equal(c2.rec.count('qr'), 0, 'a restored session shows no QR');
  assert.equal(c2.client.info.wid.user, ME.user);
  const phone2 = await h.attachPhone();
  assert.equal((await phone2.state()).outboxCount, 2, 'the outbox persisted in IndexedDB');
  assert.deepEqual(h.unhandled, [], 'no unhandled rejections');
});

for (const signal of ['logout_from_bridge', 'logout'] as const) {
  test(`remote logout as Cmd '${signal}': disconnected('LOGOUT'), profile deleted, a new QR in the same client`, { timeout: 120_000 }, async (t) => {
    const h = await bareHarness(t);
    const { client, rec, phone, qr } = await pairFresh(h);
    const mark = rec.mark();
    await phone.remoteLogout(signal);
    const [reason] = await rec.waitFor('disconnected', { from: mark, timeoutMs: 15_000 });
    assert.equal(reason, 'LOGOUT');
    // Then LocalAuth.logout() deletes the profile while Chromium still runs, and inject() runs
    // again on the reloaded page: the same Client shows a fresh QR with new device keys.
    const [next] = (await rec.waitFor('qr', { from: mark, timeoutMs: 15_000 })) as [string];
    assert.notEqual(next.split(',')[1], qr.split(',')[1], 'new device keys');
    const order = rec.events.slice(mark).map((e) => e.name);
    assert.ok(order.indexOf('disconnected') < order.indexOf('qr'), order.join(' '));
    assert.equal(existsSync(path.join(h.profileDir, 'DevToolsActivePort')), false, 'LocalAuth deleted the profile');
    assert.equal(await client.getState(), 'UNPAIRED');
    // The re-run inject() is not awaited by anyone: destroying the client before it finishes
    // rejects it unhandled ("Target closed"). Its last step registers the Cmd listeners.
    await phone.waitForInjected(10_000);
    assert.deepEqual(h.unhandled, []);
  });
}

test('an unlink with no logout event: only a QR after ready tells', { timeout: 120_000 }, async (t) => {
  const h = await bareHarness(t);
  const { client, rec, phone } = await pairFresh(h);
  const mark = rec.mark();
  await phone.remoteLogout('silent');
  await rec.waitFor('qr', { from: mark, timeoutMs: 15_000 });
  assert.equal(rec.count('disconnected', mark), 0, 'no disconnected event');
  assert.equal(existsSync(h.profileDir), true, 'LocalAuth kept the profile: nothing told it');
  assert.equal(await client.getState(), 'UNPAIRED');
  await phone.waitForInjected(10_000);
  assert.deepEqual(h.unhandled, []);
});

test('encrypted messages: decrypted later, after a resend, or reported as failed 15 s on', { timeout: 120_000 }, async (t) => {
  const h = await bareHarness(t);
  const { rec, phone } = await pairFresh(h);
  const mark = rec.mark();
  const never = await phone.incoming({ from: ALICE, body: 'lost', ciphertext: 'never' });
  const later = await phone.incoming({ from: ALICE, body: 'later', ciphertext: 'decrypt' });
  const resent = await phone.incoming({ from: ALICE, body: 'resent', ciphertext: 'resend' });
  const isId = (id: string) => (m: unknown) => (m as Message).id._serialized === id;

  await rec.waitFor('message_ciphertext', { from: mark, pred: isId(never.id) });
  const [decrypted] = (await rec.waitFor('message', { from: mark, pred: isId(later.id) })) as [Message];
  assert.equal(decrypted.body, 'later');
  // The library asks the phone to resend what it could not decrypt, 5 s after it arrived.
  const [afterResend] = (await rec.waitFor('message', { from: mark, pred: isId(resent.id), timeoutMs: 10_000 })) as [Message];
  assert.equal(afterResend.body, 'resent');
  assert.ok((await phone.state()).resendRequests >= 1);
  const [failed] = (await rec.waitFor('message_ciphertext_failed', { from: mark, pred: isId(never.id), timeoutMs: 20_000 })) as [Message];
  assert.equal(failed.type, 'ciphertext');
  const lostMessages = rec.events.slice(mark).filter((e) => e.name === 'message' && isId(never.id)(e.args[0]));
  assert.equal(lostMessages.length, 0, 'never a message event for it');
  assert.deepEqual(h.unhandled, []);
});

test('a page that syncs before the library listens: no authenticated, no ready, getState() says CONNECTED', { timeout: 120_000 }, async (t) => {
  const h = await bareHarness(t);
  const first = await pairFresh(h);
  await first.phone.configure({ eagerSync: true });
  await first.phone.detach();
  await withTimeout(first.client.destroy(), 15_000, 'destroy');

  const c2 = h.newClient();
  assert.equal(await withTimeout(c2.init, 20_000, 'initialize()'), 'resolved');
  const phone = await h.attachPhone();
  await sleep(8_000);
  for (const name of ['authenticated', 'ready', 'qr', 'disconnected']) assert.equal(c2.rec.count(name), 0, `no '${name}'`);
  const state = await phone.state();
  assert.equal(state.hasSynced, true);
  assert.ok(state.listeners.socketChangeHasSynced >= 1, 'the listener came, after the change');
  // What a watchdog sees: the page answers, and answers CONNECTED. Only a timer on
  // "no login within N s" notices the hang.
  assert.equal(await withTimeout(c2.client.getState(), 5_000, 'getState'), 'CONNECTED');
  const log = await phone.log();
  const syncAt = log.find((e) => e.kind === 'sync')?.at ?? -1;
  const listenAt = log.find((e) => e.kind === 'listen' && e.event === 'change:hasSynced')?.at ?? -1;
  assert.ok(syncAt >= 0 && listenAt >= syncAt, `synced (${syncAt} ms) before the listener (${listenAt} ms)`);
});

test('socket states: QR rotation, UNPAIRED_IDLE, TIMEOUT, CONFLICT + takeover, UNPAIRED', { timeout: 120_000 }, async (t) => {
  const h = await bareHarness(t, { qrRotateMs: 0 });
  const { client, rec } = h.newClient({ takeoverOnConflict: true, takeoverTimeoutMs: 200 });
  const [qr1] = (await rec.waitFor('qr', { timeoutMs: 30_000 })) as [string];
  const phone = await h.attachPhone();
  await phone.waitForInjected();

  // Conn.ref rotates while UNPAIRED: a new 'qr' with the same keys.
  const beforeRotate = rec.mark();
  await phone.configure({ qrRotateMs: 300 });
  const [qr2] = (await rec.waitFor('qr', { from: beforeRotate, timeoutMs: 5_000 })) as [string];
  await phone.configure({ qrRotateMs: 0 });
  assert.notEqual(qr2.split(',')[0], qr1.split(',')[0], 'new ref');
  assert.deepEqual(qr2.split(',').slice(1), qr1.split(',').slice(1), 'same keys and platform');
  await sleep(400);

  // UNPAIRED_IDLE before pairing: 1.34.7 still evaluates window.require('WAWebCmd').Cmd.refreshQR()
  // in Node: a ReferenceError rejected back into the page, no new QR, no event.
  const beforeIdle = rec.mark();
  await phone.setSocketState('UNPAIRED_IDLE');
  await sleep(1_000);
  assert.equal(rec.events.length, beforeIdle, 'no client event at all');
  const idleErrors = (await phone.errors()).map((e) => e.error.split('\n')[0] ?? '');
  assert.ok(
    idleErrors.some((e) => /window is not defined/.test(e)),
    JSON.stringify(idleErrors),
  );
  await phone.setSocketState('UNPAIRED');
  await phone.scan(ME);
  await rec.waitFor('ready', { timeoutMs: 20_000 });

  const stateEvent = (s: string, from: number) => rec.waitFor('change_state', { from, timeoutMs: 5_000, pred: (x) => x === s });
  let mark = rec.mark();
  await phone.setSocketState('TIMEOUT');
  await stateEvent('TIMEOUT', mark);
  assert.equal(await client.getState(), 'TIMEOUT');
  mark = rec.mark();
  await phone.setSocketState('CONNECTED');
  await stateEvent('CONNECTED', mark);

  mark = rec.mark();
  await phone.setSocketState('CONFLICT');
  await stateEvent('CONFLICT', mark);
  await stateEvent('CONNECTED', mark);
  assert.equal((await phone.state()).takeovers, 1);
  assert.equal(rec.count('disconnected'), 0);

  // UNPAIRED after ready: change_state, disconnected with the state, then the library closes the browser.
  mark = rec.mark();
  await phone.setSocketState('UNPAIRED');
  const [reason] = await rec.waitFor('disconnected', { from: mark, timeoutMs: 5_000 });
  assert.equal(reason, 'UNPAIRED');
  const deadline = Date.now() + 10_000;
  while (client.pupBrowser?.connected && Date.now() < deadline) await sleep(100);
  assert.equal(client.pupBrowser?.connected, false, 'the library closed the browser itself');
  assert.deepEqual(h.unhandled, []);
});
