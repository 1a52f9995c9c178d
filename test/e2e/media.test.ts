// Media both ways through the real daemon, the real whatsapp-web.js and Chromium, against the
// simulated WhatsApp Web: what the phone receives is compared byte for byte with what was sent.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { SimOutboxEntry, SimPhone } from '../sim';
import { sessionPaths } from '../../src/config/session-paths';
import { writeSimPage } from '../sim';
import { CLIENT_ID, Daemon } from '../support/daemon';
import { sample, sha256 } from '../support/media-samples';
import { API_TOKEN, postMessage, whenSent } from '../support/messages-api';
import { attachPhone, scanAndWaitReady } from '../support/phone';
import { useScene } from '../support/scene';
import { eventually } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

interface MediaEvent {
  readonly type: string;
  readonly data: {
    readonly id: string;
    readonly body: string;
    readonly type: string;
    readonly hasMedia: boolean;
    readonly media: {
      id?: string;
      url?: string;
      sha256?: string;
      mimetype: string | null;
      size: number | null;
      kind?: string;
      filename?: string | null;
      status?: string;
    } | null;
  };
}

function env(receiver: WebhookReceiver, extra: Record<string, string> = {}): Record<string, string> {
  return {
    API_TOKEN,
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_RETRY_BASE_MS: '200',
    SEND_RATE_PER_MINUTE: '600',
    SEND_CHAT_GAP_MS: '0',
    MEDIA_MAX_BYTES: String(2 * 1_048_576),
    ...extra,
  };
}

const events = (receiver: WebhookReceiver): MediaEvent[] => receiver.events<MediaEvent>(SECRET);

/** The phone's copy of a sent message, found by its caption. */
async function onPhone(phone: SimPhone, caption: string): Promise<SimOutboxEntry & { media: NonNullable<SimOutboxEntry['media']> }> {
  const entry = await eventually(async () => (await phone.outbox()).find((o) => o.media?.caption === caption), `"${caption}" on the phone`, 30_000);
  assert.ok(entry.media);
  return { ...entry, media: entry.media };
}

describe('media through the daemon', { timeout: 300_000 }, () => {
  let receiver: WebhookReceiver;
  const scene = useScene(async () => {
    receiver = await WebhookReceiver.start();
    scene.daemon = await Daemon.start(scene.sandbox, { env: env(receiver) });
    scene.phone = await attachPhone(scene.daemon);
    await scanAndWaitReady(scene.daemon, scene.phone);
  });
  after(() => receiver.close());

  /** The phone sends `media` to the bot; the `message` event the receiver got for it. */
  async function receive(body: string, media: Parameters<SimPhone['incoming']>[0]['media']): Promise<MediaEvent> {
    const phone = scene.phone;
    assert.ok(phone);
    const { id } = await phone.incoming({ from: '15550004444', body, media });
    return eventually(async () => events(receiver).find((e) => e.type === 'message' && e.data.id.endsWith(id)), 'the message event');
  }

  it('each kind sent as JSON base64 reaches the phone as that kind, byte for byte, with its caption and name', async () => {
    const phone = scene.phone;
    assert.ok(phone);
    const cases = [
      { name: 'image', bytes: sample.png(16), extra: {}, type: 'image', mimetype: 'image/png', filename: null },
      { name: 'video', bytes: sample.mp4(), extra: {}, type: 'video', mimetype: 'video/mp4', filename: null },
      { name: 'audio', bytes: sample.mp3(), extra: {}, type: 'audio', mimetype: 'audio/mpeg', filename: null },
      { name: 'voice', bytes: sample.opus(), extra: { asVoice: true }, type: 'ptt', mimetype: 'audio/ogg', filename: null },
      {
        name: 'document',
        bytes: sample.pdf(),
        extra: { asDocument: true },
        type: 'document',
        mimetype: 'application/pdf',
        filename: 'invoice-7.pdf',
      },
    ];
    for (const c of cases) {
      const caption = `the ${c.name} ${randomBytes(3).toString('hex')}`;
      const accepted = await postMessage(scene.daemon, {
        to: '15550002222',
        text: caption,
        media: { data: c.bytes.toString('base64'), ...(c.filename ? { filename: c.filename } : {}) },
        ...c.extra,
      });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      const sent = await whenSent(scene.daemon, accepted.body.id, `the ${c.name} sent`, 30_000);
      const entry = await onPhone(phone, caption);
      assert.equal(entry.id, sent.waMessageId);
      assert.deepEqual([entry.media.type, entry.media.mimetype.split(';')[0], entry.media.filename], [c.type, c.mimetype, c.filename], c.name);
      assert.equal(entry.media.sha256, sha256(c.bytes), `${c.name}: the phone has the exact bytes`);
      assert.equal(sha256(await phone.outboxMedia(entry.id)), sha256(c.bytes));
    }
    // The files went into the page in chunks, through the library's own mediaInfoToFile, wrapped.
    const staged = await (
      await phone.page()
    ).evaluate(() => (window as unknown as { WWebJS?: { __waTetherStaging?: boolean } }).WWebJS?.__waTetherStaging);
    assert.equal(staged, true);
  });

  it('a sticker: the library makes a WebP of the image in the page; the phone gets a sticker', async () => {
    const phone = scene.phone;
    assert.ok(phone);
    const accepted = await postMessage(scene.daemon, { to: '15550002222', media: { data: sample.png(64).toString('base64') }, asSticker: true });
    assert.equal(accepted.status, 202);
    assert.equal(accepted.body.media?.kind, 'sticker');
    const sent = await whenSent(scene.daemon, accepted.body.id, 'the sticker sent', 30_000);
    const entry = await eventually(async () => (await phone.outbox()).find((o) => o.id === sent.waMessageId), 'the sticker on the phone');
    assert.equal(entry.media?.type, 'sticker');
    const webp = await phone.outboxMedia(entry.id);
    assert.equal(webp.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(webp.subarray(8, 12).toString('latin1'), 'WEBP');
  });

  it('multipart/form-data (curl -F file=@...) reaches the phone byte for byte', async () => {
    const phone = scene.phone;
    assert.ok(phone);
    const pdf = sample.pdf();
    const form = new FormData();
    form.append('to', '15550002222');
    form.append('text', 'the form invoice');
    form.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'form-invoice.pdf');
    const res = await fetch(scene.daemon.url('/api/messages'), { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` }, body: form });
    assert.equal(res.status, 202);
    const entry = await onPhone(phone, 'the form invoice');
    assert.deepEqual([entry.media.type, entry.media.filename, entry.media.sha256], ['document', 'form-invoice.pdf', sha256(pdf)]);
  });

  it('the real daemon refuses bad files with their codes, and accepts nothing', async () => {
    const data = (bytes: Buffer): string => bytes.toString('base64');
    const before = (await scene.daemon.status()).outbox;
    const cases: Array<[unknown, number, string]> = [
      [{ to: '15550002222', media: { data: 'not base64 at all %%%' } }, 400, 'INVALID_MEDIA'],
      [{ to: '15550002222', media: { data: data(sample.png()) }, asVoice: true }, 400, 'INVALID_MEDIA_OPTION'],
      [{ to: '15550002222', media: { data: data(sample.pdf()), mimetype: 'image/png' } }, 415, 'MEDIA_TYPE_MISMATCH'],
      [{ to: '15550002222', media: { data: data(sample.exe()), filename: 'setup.exe' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      // MEDIA_MAX_BYTES is 2 MiB for this daemon.
      [{ to: '15550002222', media: { data: data(randomBytes(2 * 1_048_576 + 1)) } }, 413, 'MEDIA_TOO_LARGE'],
    ];
    for (const [body, status, code] of cases) {
      const refused = await postMessage(scene.daemon, body);
      assert.deepEqual([refused.status, refused.body.error?.code], [status, code], code);
    }
    const after = (await scene.daemon.status()).outbox;
    assert.equal(
      after.queued + after.sending + after.sent + after.failed,
      before.queued + before.sending + before.sent + before.failed,
      'nothing was accepted',
    );
  });

  it('URLs to loopback, private and metadata addresses are refused by default, naming why', async () => {
    const cases = ['http://127.0.0.1:9/a.png', 'http://10.0.0.1/a.png', 'http://169.254.169.254/latest/meta-data/', 'http://localhost:9/a.png'];
    for (const url of cases) {
      const refused = await postMessage(scene.daemon, { to: '15550002222', media: { url } });
      assert.equal(refused.status, 422, url);
      assert.equal(refused.body.error?.code, 'MEDIA_URL_REFUSED', url);
    }
  });

  it('a received image reaches the webhook as a media id and url; the url gives the same bytes', async () => {
    const png = sample.png(24);
    const event = await receive('my receipt', { data: png.toString('base64'), mimetype: 'image/png' });
    assert.deepEqual([event.data.type, event.data.hasMedia, event.data.body], ['image', true, 'my receipt']);
    const media = event.data.media;
    assert.ok(media?.url && media.id);
    assert.deepEqual([media.mimetype, media.size, media.sha256, media.kind], ['image/png', png.length, sha256(png), 'image']);
    assert.ok(!JSON.stringify(event).includes(png.toString('base64').slice(0, 40)), 'never the bytes inline');
    const res = await fetch(scene.daemon.url(media.url), { headers: { authorization: `Bearer ${API_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.equal(sha256(Buffer.from(await res.arrayBuffer())), sha256(png));
    assert.equal(res.headers.get('etag'), `"${sha256(png)}"`);
  });

  it('a received file that cannot be downloaded still reaches the webhook, as unavailable', async () => {
    const event = await receive('lost file', {
      data: sample.pdf().toString('base64'),
      mimetype: 'application/pdf',
      filename: 'gone.pdf',
      downloadFails: true,
    });
    assert.equal(event.data.media?.status, 'unavailable');
    assert.equal(event.data.media?.url, undefined);
  });

  it('retention: past MEDIA_RETENTION_HOURS a received file is 410 MEDIA_EXPIRED', async () => {
    const event = await receive('old photo', { data: sample.png().toString('base64'), mimetype: 'image/png' });
    const url = event.data.media?.url;
    assert.ok(url);
    // Two days ago, as the daemon's own database records it.
    const db = new Database(sessionPaths(scene.sandbox.authPath, CLIENT_ID).databaseFile);
    try {
      db.prepare('UPDATE media_received SET created_at = ? WHERE id = ?').run(Date.now() - 48 * 3_600_000, event.data.media?.id);
    } finally {
      db.close();
    }
    const res = await fetch(scene.daemon.url(url), { headers: { authorization: `Bearer ${API_TOKEN}` } });
    assert.equal(res.status, 410);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'MEDIA_EXPIRED');
  });

  it('by URL from a loopback server (MEDIA_URL_ALLOW_PRIVATE=true for this daemon only), redirects followed', async () => {
    const pdf = sample.pdf();
    const files = http.createServer((req, res) => {
      if (req.url === '/r') return void res.writeHead(302, { location: '/files/statement.pdf?sig=abc' }).end();
      if (req.url === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (req.url?.startsWith('/files/statement.pdf')) return void res.writeHead(200, { 'content-type': 'application/pdf' }).end(pdf);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    try {
      await scene.phone?.detach();
      scene.phone = undefined;
      assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
      scene.daemon = await Daemon.start(scene.sandbox, { env: env(receiver, { MEDIA_URL_ALLOW_PRIVATE: 'true' }) });
      await scene.daemon.waitForState('ready', 60_000);
      scene.phone = await attachPhone(scene.daemon);
      const port = (files.address() as AddressInfo).port;
      const accepted = await postMessage(scene.daemon, { to: '15550002222', text: 'by url', media: { url: `http://127.0.0.1:${port}/r` } });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      assert.deepEqual([accepted.body.media?.filename, accepted.body.media?.sha256], ['statement.pdf', sha256(pdf)]);
      const entry = await onPhone(scene.phone, 'by url');
      assert.equal(entry.media.sha256, sha256(pdf));
      const missing = await postMessage(scene.daemon, { to: '15550002222', media: { url: `http://127.0.0.1:${port}/nope` } });
      assert.deepEqual([missing.status, missing.body.error?.code], [422, 'MEDIA_FETCH_FAILED']);
      assert.match(missing.body.error?.message ?? '', /HTTP 404/);
      const metadata = await postMessage(scene.daemon, { to: '15550002222', media: { url: 'http://169.254.169.254/' } });
      assert.equal(metadata.body.error?.code, 'MEDIA_URL_REFUSED', 'metadata stays shut');
      const redirected = await postMessage(scene.daemon, { to: '15550002222', media: { url: `http://127.0.0.1:${port}/to-metadata` } });
      assert.deepEqual([redirected.status, redirected.body.error?.code], [422, 'MEDIA_URL_REFUSED'], 'every hop is checked again');
    } finally {
      files.close();
    }
  });

  it('kill -9 right after the 202: the file was committed, and is sent once after the restart', async () => {
    await scene.phone?.detach();
    scene.phone = undefined;
    const pdf = sample.pdf();
    // Not ready yet (the page syncs slowly), so the message waits in the outbox when the daemon dies.
    assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
    await writeSimPage(scene.sandbox.cachePath, { qrRotateMs: 0, syncDelayMs: 10_000 });
    scene.daemon = await Daemon.start(scene.sandbox, { env: env(receiver) });
    const accepted = await postMessage(scene.daemon, {
      to: '15550002222',
      text: 'survives kill -9',
      media: { data: pdf.toString('base64'), filename: 'kept.pdf' },
    });
    assert.equal(accepted.status, 202);
    assert.notEqual((await scene.daemon.status()).state, 'ready', 'still waiting to send when it dies');
    assert.equal((await scene.daemon.stop('SIGKILL')).signal, 'SIGKILL');
    await writeSimPage(scene.sandbox.cachePath, { qrRotateMs: 0 });
    scene.daemon = await Daemon.start(scene.sandbox, { env: env(receiver) });
    const sent = await whenSent(scene.daemon, accepted.body.id, 'sent after kill -9', 60_000);
    scene.phone = await attachPhone(scene.daemon);
    const copies = (await scene.phone.outbox()).filter((o) => o.media?.caption === 'survives kill -9');
    assert.deepEqual(
      copies.map((o) => [o.id, o.media?.sha256]),
      [[sent.waMessageId, sha256(pdf)]],
      'exactly once, byte for byte',
    );
  });
});
