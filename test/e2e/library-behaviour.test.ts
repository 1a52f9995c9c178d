/**
 * What whatsapp-web.js 1.34.7 itself does, pinned: a bare `Client` (no daemon) on the simulated
 * WhatsApp Web in real headless Chromium. The daemon's adapter relies on each behaviour
 * asserted here; when an upgrade changes one, this file says which.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { type Message, MessageMedia, type MessageSendOptions } from 'whatsapp-web.js';
import type { SimIncoming, SimOutboxMedia, SimPhone } from '../sim';
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

// ---- media ------------------------------------------------------------------------------

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A real PNG (the page decodes it: thumbnails, the sticker conversion). */
function png(width: number, height: number): Buffer {
  const image = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) image.data.set([(i * 7) % 256, (i * 13) % 256, 200, 255], i * 4);
  return PNG.sync.write(image);
}

/** A real WAV: 0.25 s of a 440 Hz tone, 8 kHz mono 16-bit (the page's AudioContext decodes it for the waveform). */
function wav(): Buffer {
  const samples = 2000;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / 8000) * 12_000), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** A 1x1 lossless webp. */
const WEBP = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(4000, 7)]);
const isWebp = (bytes: Buffer): boolean => bytes.subarray(0, 4).toString() === 'RIFF' && bytes.subarray(8, 12).toString() === 'WEBP';

const MEDIA_MODULES = [
  'WAWebMediaOpaqueData',
  'WAWebPrepRawMedia',
  'WAWebMediaStorage',
  'WAWebMmsMediaTypes',
  'WAWebMediaDataUtils',
  'WAWebMediaInMemoryBlobCache',
  'WAWebMediaMmsV4Upload',
  'WAWebUploadManager',
  'WAWebStartMediaUploadQpl',
  'WAWebImageUtils',
  'WAWebDownloadManager',
];

/** Every media module the library asked for is implemented, with every member it read. */
async function assertMediaModules(phone: SimPhone, expected: readonly string[]): Promise<void> {
  const modules = await phone.requiredModules();
  for (const name of expected) assert.ok(modules.requested.includes(name), `the library asked for ${name}`);
  assert.deepEqual(
    modules.defaulted.filter((name) => !modules.existsOnly.includes(name)),
    [],
    'no module defaulted besides the exists-only ones',
  );
  for (const name of modules.implemented) assert.equal(modules.missingMembers[name], undefined, `members of ${name} the page lacks`);
}

describe('media', () => {
  test('sent: every kind reaches the phone with its type, mimetype, file name, caption and exact bytes', { timeout: 180_000 }, async (t) => {
    const h = await bareHarness(t);
    const { client, phone, foreignRequests, pageErrors } = await pairFresh(h);
    const image = png(64, 48);
    const audio = wav();
    const cases: Array<{
      what: string;
      media: MessageMedia;
      options: MessageSendOptions;
      expected: Omit<SimOutboxMedia, 'size' | 'sha256' | 'directPath'>;
    }> = [
      {
        what: 'image',
        media: new MessageMedia('image/png', image.toString('base64'), 'photo.png'),
        options: { caption: 'a photo' },
        // An image message has no file name: the one given is dropped.
        expected: { type: 'image', mimetype: 'image/png', filename: null, caption: 'a photo' },
      },
      {
        what: 'video',
        media: new MessageMedia('video/mp4', MP4.toString('base64'), 'clip.mp4'),
        options: { caption: 'a clip' },
        expected: { type: 'video', mimetype: 'video/mp4', filename: null, caption: 'a clip' },
      },
      {
        what: 'audio',
        media: new MessageMedia('audio/wav', audio.toString('base64'), 'tone.wav'),
        options: {},
        expected: { type: 'audio', mimetype: 'audio/wav', filename: null, caption: null },
      },
      {
        what: 'voice note',
        media: new MessageMedia('audio/wav', audio.toString('base64'), 'tone.wav'),
        options: { sendAudioAsVoice: true },
        expected: { type: 'ptt', mimetype: 'audio/wav', filename: null, caption: null },
      },
      {
        what: 'document',
        media: new MessageMedia('application/pdf', PDF.toString('base64'), 'report.pdf'),
        options: { caption: 'the report' },
        expected: { type: 'document', mimetype: 'application/pdf', filename: 'report.pdf', caption: 'the report' },
      },
      {
        what: 'image as a document',
        media: new MessageMedia('image/png', image.toString('base64'), 'photo.png'),
        options: { sendMediaAsDocument: true },
        expected: { type: 'document', mimetype: 'image/png', filename: 'photo.png', caption: null },
      },
      {
        what: 'document without a file name',
        media: new MessageMedia('application/pdf', PDF.toString('base64')),
        options: {},
        // Trap: mediaInfoToFile does `new File([blob], filename)`, and File turns undefined into "undefined".
        expected: { type: 'document', mimetype: 'application/pdf', filename: 'undefined', caption: null },
      },
      {
        what: 'webp sticker',
        media: new MessageMedia('image/webp', WEBP.toString('base64'), 'sticker.webp'),
        options: { sendMediaAsSticker: true },
        // processStickerData sets no mimetype on the message; the outbox reports the uploaded file's.
        expected: { type: 'sticker', mimetype: 'image/webp', filename: null, caption: null },
      },
    ];
    interface SentData {
      body?: string;
      preview?: string;
      waveform?: Record<string, number>;
      mediaKey?: string;
    }
    const sentData = new Map<string, SentData>();
    for (const { what, media, options, expected } of cases) {
      const sent = await withTimeout(client.sendMessage(ALICE, media, options), 15_000, `send ${what}`);
      assert.equal(sent.type, expected.type, what);
      assert.equal(sent.hasMedia, true, what);
      // A media message's body is its caption (Message.js), '' without one.
      assert.equal(sent.body, expected.caption ?? '', what);
      const entry = (await phone.outbox()).find((o) => o.id === sent.id._serialized);
      assert.ok(entry?.media, `${what}: in the outbox with media`);
      const bytes = Buffer.from(media.data, 'base64');
      assert.deepEqual(
        { type: entry.media.type, mimetype: entry.media.mimetype, filename: entry.media.filename, caption: entry.media.caption },
        expected,
        what,
      );
      assert.equal(entry.media.size, bytes.length, `${what}: size`);
      assert.equal(entry.media.sha256, sha256(bytes), `${what}: the exact bytes were uploaded`);
      assert.equal(sha256(await phone.outboxMedia(entry.id)), sha256(bytes), `${what}: outboxMedia gives them back`);
      sentData.set(what, (sent as unknown as { _data: SentData })._data);
    }
    // The message's own body is the prep's preview (a JPEG thumbnail for an image), not the caption.
    const imageData = sentData.get('image');
    assert.match(imageData?.body ?? '', /^\/9j\//);
    assert.equal(imageData?.body, imageData?.preview);
    // A voice note gets a 64-bar waveform, which the library computes in the page (AudioContext).
    assert.equal(Object.keys(sentData.get('voice note')?.waveform ?? {}).length, 64);
    assert.equal(sentData.get('audio')?.waveform, undefined, 'plain audio: none');
    // The sticker path's mediaKey is the library's generateHash(32): 32 letters and digits, not
    // base64 of 32 random bytes like every other media key.
    assert.match(sentData.get('webp sticker')?.mediaKey ?? '', /^[A-Za-z0-9]{32}$/);
    assert.match(sentData.get('image')?.mediaKey ?? '', /^[A-Za-z0-9+/]{43}=$/);

    // A sent message's own media downloads again (its mediaData is RESOLVED).
    const doc = await client.sendMessage(ALICE, new MessageMedia('application/pdf', PDF.toString('base64'), 'again.pdf'));
    const again = await withTimeout(doc.downloadMedia(), 10_000, 'downloadMedia of a sent message');
    assert.deepEqual(again, new MessageMedia('application/pdf', PDF.toString('base64'), 'again.pdf', PDF.length));

    // A PNG as a sticker: the library asks the page (WAWebImageUtils.toWebpSticker) for a webp,
    // with the whole base64 crossing page.evaluate there and back; the sticker carries no mimetype.
    const sticker = await withTimeout(
      client.sendMessage(ALICE, new MessageMedia('image/png', image.toString('base64'), 'p.png'), { sendMediaAsSticker: true }),
      15_000,
      'png sticker',
    );
    assert.equal(sticker.type, 'sticker');
    assert.equal((sticker as unknown as { _data: { mimetype?: string } })._data.mimetype, undefined);
    const stickerEntry = (await phone.outbox()).find((o) => o.id === sticker.id._serialized);
    assert.equal(stickerEntry?.media?.mimetype, 'image/webp');
    const webp = await phone.outboxMedia(sticker.id._serialized);
    assert.ok(isWebp(webp), 'a real webp');
    assert.equal(stickerEntry?.media?.sha256, sha256(webp));

    // stickerName/stickerAuthor: node-webpmux (in Node) writes the pack into the webp's EXIF.
    const named = await client.sendMessage(ALICE, new MessageMedia('image/png', image.toString('base64')), {
      sendMediaAsSticker: true,
      stickerName: 'Sim Pack',
      stickerAuthor: 'Sim',
    });
    const namedBytes = await phone.outboxMedia(named.id._serialized);
    assert.ok(isWebp(namedBytes));
    assert.ok(namedBytes.includes(Buffer.from('"sticker-pack-name":"Sim Pack"')), 'the pack name is in the EXIF');

    // A 16 MiB file: outbox() stays small; the bytes come only from outboxMedia().
    const big = Buffer.alloc(16 * 1024 * 1024, 0x5a);
    big.write('big file', 0);
    const bigSent = await withTimeout(
      client.sendMessage(ALICE, new MessageMedia('application/zip', big.toString('base64'), 'big.zip')),
      60_000,
      'send 16 MiB',
    );
    const listing = JSON.stringify(await phone.outbox());
    assert.ok(listing.length < 64 * 1024, `outbox() is ${listing.length} characters`);
    const bigBack = await phone.outboxMedia(bigSent.id._serialized);
    assert.equal(bigBack.length, big.length);
    assert.equal(sha256(bigBack), sha256(big));

    await assertMediaModules(phone, MEDIA_MODULES);
    assert.deepEqual(await phone.errors(), [], 'no page errors');
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(foreignRequests, [], 'no request besides https://web.whatsapp.com/');

    // The files live in the profile's IndexedDB: a restarted client's phone still has them.
    const firstId = (await phone.outbox())[0]?.id ?? '';
    await phone.detach();
    await withTimeout(client.destroy(), 15_000, 'destroy');
    const c2 = h.newClient();
    await c2.rec.waitFor('ready', { timeoutMs: 30_000 });
    const phone2 = await h.attachPhone();
    assert.equal(sha256(await phone2.outboxMedia(firstId)), sha256(image), 'the first image, after a restart');
    assert.deepEqual(h.unhandled, []);
  });

  test('received: type, hasMedia and what downloadMedia() returns; an expired file', { timeout: 120_000 }, async (t) => {
    const h = await bareHarness(t);
    const { rec, phone } = await pairFresh(h);
    const receive = async (incoming: Omit<SimIncoming, 'from'>): Promise<Message> => {
      const mark = rec.mark();
      const { id } = await phone.incoming({ from: ALICE, ...incoming });
      const [msg] = (await rec.waitFor('message', { from: mark, pred: (m) => (m as Message).id._serialized === id })) as [Message];
      return msg;
    };
    const image = png(32, 32);

    const photo = await receive({ body: 'look', media: { data: image.toString('base64'), mimetype: 'image/png' } });
    assert.equal(photo.type, 'image');
    assert.equal(photo.hasMedia, true);
    assert.equal(photo.body, 'look', 'the caption');
    assert.deepEqual(await photo.downloadMedia(), new MessageMedia('image/png', image.toString('base64'), undefined, image.length));

    const notes = Buffer.from('meeting at noon\n');
    const doc = await receive({ body: '', media: { data: notes.toString('base64'), mimetype: 'text/plain', filename: 'notes.txt' } });
    assert.equal(doc.type, 'document');
    assert.equal(doc.body, '');
    assert.deepEqual(await doc.downloadMedia(), new MessageMedia('text/plain', notes.toString('base64'), 'notes.txt', notes.length));

    const opus = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(600, 3)]);
    const voice = await receive({ body: '', media: { data: opus.toString('base64'), mimetype: 'audio/ogg; codecs=opus', asVoice: true } });
    // A voice note is 'ptt' (push to talk), not 'audio'.
    assert.equal(voice.type, 'ptt');
    const voiceMedia = await voice.downloadMedia();
    assert.equal(voiceMedia.mimetype, 'audio/ogg; codecs=opus');
    assert.equal(voiceMedia.data, opus.toString('base64'));

    const audio = await receive({ body: '', media: { data: opus.toString('base64'), mimetype: 'audio/ogg' } });
    assert.equal(audio.type, 'audio');
    const video = await receive({ body: 'clip', media: { data: MP4.toString('base64'), mimetype: 'video/mp4' } });
    assert.equal(video.type, 'video');
    const sticker = await receive({ body: '', media: { data: WEBP.toString('base64'), mimetype: 'image/webp', asSticker: true } });
    assert.equal(sticker.type, 'sticker');
    assert.equal((await sticker.downloadMedia()).data, WEBP.toString('base64'));

    // Only a document carries a file name.
    await assert.rejects(
      phone.incoming({ from: ALICE, body: '', media: { data: image.toString('base64'), mimetype: 'image/png', filename: 'x.png' } }),
      /only a document/,
    );

    // An expired file: msg.downloadMedia() leaves mediaStage ERROR_MISSING, and the library's
    // downloadMedia() resolves undefined: no throw, nothing to tell "expired" from "no media".
    await phone.configure({ mediaDownloadDelayMs: 400 });
    const gone = await receive({ body: 'old', media: { data: image.toString('base64'), mimetype: 'image/png', downloadFails: true } });
    assert.equal(gone.hasMedia, true);
    let started = Date.now();
    assert.equal(await gone.downloadMedia(), undefined);
    assert.ok(Date.now() - started >= 400, 'the failure took mediaDownloadDelayMs');
    assert.equal(await gone.downloadMedia(), undefined, 'and again');
    started = Date.now();
    assert.equal((await photo.downloadMedia()).data, image.toString('base64'));
    assert.ok(Date.now() - started >= 400, 'a download takes mediaDownloadDelayMs');
    await phone.configure({ mediaDownloadDelayMs: 0 });

    await assertMediaModules(phone, ['WAWebDownloadManager']);
    assert.deepEqual(await phone.errors(), [], 'no page errors');
    assert.deepEqual(h.unhandled, []);
  });
});
