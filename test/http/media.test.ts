import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AcceptedMessageBody, ErrorBody, MessageBody } from '../../src/http/bodies';
import { FakeSession, READY } from '../support/fake-session';
import { sample, sha256 } from '../support/media-samples';
import { bearer, startApp, type TestApp, TOKEN } from './support/start-app';

const API_TOKEN = 'api-token-for-applications-0123';
const HOUR = 3_600_000;

async function send(
  app: TestApp,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: AcceptedMessageBody & ErrorBody }> {
  const res = await fetch(`${app.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(API_TOKEN), ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as AcceptedMessageBody & ErrorBody };
}

async function sendForm(app: TestApp, form: FormData, token = API_TOKEN): Promise<{ status: number; body: AcceptedMessageBody & ErrorBody }> {
  const res = await fetch(`${app.url}/api/messages`, { method: 'POST', headers: bearer(token), body: form });
  return { status: res.status, body: (await res.json()) as AcceptedMessageBody & ErrorBody };
}

const fileForm = (fields: Record<string, string>, file?: { bytes: Buffer; name: string; type: string }, partName = 'file'): FormData => {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (file) form.append(partName, new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  return form;
};

describe('POST /api/messages with media', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ session: new FakeSession(READY), apiToken: API_TOKEN, mediaMaxBytes: 64 * 1_024 });
  });
  after(() => app.close());

  it('JSON base64: 202 with the media facts, the bytes committed to the store before the answer', async () => {
    const png = sample.png();
    const { status, body } = await send(app, {
      to: '15550002222',
      text: 'the receipt',
      media: { data: png.toString('base64'), filename: 'receipt.png' },
    });
    assert.equal(status, 202);
    assert.deepEqual(body.media, { mimetype: 'image/png', filename: 'receipt.png', size: png.length, sha256: sha256(png), kind: 'image' });
    assert.deepEqual(await app.stores.media.getFile(sha256(png)), png);
    const record = await app.stores.outboxStore.get(body.id);
    assert.deepEqual([record?.text, record?.media?.options], ['the receipt', { asDocument: false, asVoice: false, asSticker: false }]);
    const got = (await (await fetch(`${app.url}/api/messages/${body.id}`, { headers: bearer(API_TOKEN) })).json()) as MessageBody;
    assert.deepEqual(got.media, body.media, 'GET shows the same media');
  });

  it('multipart/form-data (curl -F): the fields, the options as strings, one file part named file', async () => {
    const pdf = sample.pdf();
    const { status, body } = await sendForm(
      app,
      fileForm({ to: '15550002222', text: 'your invoice', asDocument: 'true' }, { bytes: pdf, name: 'invoice.pdf', type: 'application/pdf' }),
    );
    assert.equal(status, 202, JSON.stringify(body));
    assert.deepEqual(body.media, { mimetype: 'application/pdf', filename: 'invoice.pdf', size: pdf.length, sha256: sha256(pdf), kind: 'document' });
    assert.deepEqual(await app.stores.media.getFile(sha256(pdf)), pdf);
    const voice = await sendForm(app, fileForm({ to: '15550002222', asVoice: '1' }, { bytes: sample.opus(), name: 'note.ogg', type: 'audio/ogg' }));
    assert.deepEqual([voice.status, voice.body.media?.kind, voice.body.media?.mimetype], [202, 'voice', 'audio/ogg']);
  });

  it('multipart refusals: too large (streamed, cut off), a second file, a part not named file, a bad option, no auth', async () => {
    const big = await sendForm(app, fileForm({ to: '15550002222' }, { bytes: Buffer.alloc(70 * 1_024, 65), name: 'big.txt', type: 'text/plain' }));
    assert.deepEqual([big.status, big.body.error.code], [413, 'MEDIA_TOO_LARGE']);
    assert.match(big.body.error.message, /limit is 65536 bytes \(MEDIA_MAX_BYTES\)/);
    const two = fileForm({ to: '15550002222' }, { bytes: sample.pdf(), name: 'a.pdf', type: 'application/pdf' });
    two.append('file', new Blob([new Uint8Array(sample.pdf())]), 'b.pdf');
    assert.deepEqual(
      Object.values(await sendForm(app, two)).map((v) => (typeof v === 'number' ? v : (v as ErrorBody).error.code)),
      [400, 'INVALID_MEDIA'],
    );
    const named = await sendForm(app, fileForm({ to: '15550002222' }, { bytes: sample.pdf(), name: 'a.pdf', type: 'application/pdf' }, 'attachment'));
    assert.deepEqual([named.status, named.body.error.code], [400, 'UNKNOWN_FIELD']);
    const option = await sendForm(
      app,
      fileForm({ to: '15550002222', asSticker: 'please' }, { bytes: sample.png(), name: 'a.png', type: 'image/png' }),
    );
    assert.deepEqual([option.status, option.body.error.code], [400, 'INVALID_MEDIA_OPTION']);
    const anonymous = await fetch(`${app.url}/api/messages`, {
      method: 'POST',
      body: fileForm({ to: '15550002222' }, { bytes: sample.pdf(), name: 'a.pdf', type: 'application/pdf' }),
    });
    assert.equal(anonymous.status, 401, 'auth before the body is read');
  });

  it('a file of exactly MEDIA_MAX_BYTES is taken both ways; one byte more is 413 both ways', async () => {
    const limit = 64 * 1_024;
    const pdfOf = (size: number): Buffer => Buffer.concat([sample.pdf(), Buffer.alloc(size - sample.pdf().length, 32)]);
    const form = (bytes: Buffer): FormData => fileForm({ to: '15550002222' }, { bytes, name: 'edge.pdf', type: 'application/pdf' });
    const atLimit = [
      await send(app, { to: '15550002222', media: { data: pdfOf(limit).toString('base64') } }),
      await sendForm(app, form(pdfOf(limit))),
    ];
    assert.deepEqual(
      atLimit.map((r) => [r.status, r.body.media?.size]),
      [
        [202, limit],
        [202, limit],
      ],
    );
    const over = [
      await send(app, { to: '15550002222', media: { data: pdfOf(limit + 1).toString('base64') } }),
      await sendForm(app, form(pdfOf(limit + 1))),
    ];
    assert.deepEqual(
      over.map((r) => [r.status, r.body.error.code]),
      [
        [413, 'MEDIA_TOO_LARGE'],
        [413, 'MEDIA_TOO_LARGE'],
      ],
    );
  });

  it('every media error code, each with a message that says what to do', async () => {
    const data = (bytes: Buffer) => bytes.toString('base64');
    const cases: Array<[unknown, number, string]> = [
      [{ to: '15550002222', media: { data: '%%%' } }, 400, 'INVALID_MEDIA'],
      [{ to: '15550002222', media: { data: data(sample.pdf()) }, asVoice: true }, 400, 'INVALID_MEDIA_OPTION'],
      [{ to: '15550002222', media: { data: data(sample.mp3()) }, asSticker: true }, 400, 'INVALID_MEDIA_OPTION'],
      [{ to: '15550002222', media: { data: data(sample.pdf()), mimetype: 'image/jpeg' } }, 415, 'MEDIA_TYPE_MISMATCH'],
      [{ to: '15550002222', media: { data: data(sample.exe()) } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [{ to: '15550002222', media: { data: data(Buffer.alloc(65 * 1_024, 65)) } }, 413, 'MEDIA_TOO_LARGE'],
    ];
    for (const [body, status, code] of cases) {
      const result = await send(app, body);
      assert.deepEqual([result.status, result.body.error?.code], [status, code], JSON.stringify(body).slice(0, 100));
      assert.match(result.body.error.message, /To resolve|Send|send|leave|Choose|encode/);
    }
    const over = await send(app, { to: '15550002222', media: { data: 'A'.repeat(200_000) } });
    assert.deepEqual([over.status, over.body.error.code], [413, 'MEDIA_TOO_LARGE'], 'a JSON body past what the limit can hold');
  });

  it('Idempotency-Key with media: the same file again is the same record; another file is a conflict', async () => {
    const key = { 'Idempotency-Key': 'media-order-9' };
    const png = sample.png();
    const first = await send(app, { to: '15550002222', media: { data: png.toString('base64') } }, key);
    const again = await send(app, { to: '15550002222', media: { data: png.toString('base64') } }, key);
    assert.deepEqual([first.status, again.status, again.body.id, again.body.media], [202, 200, first.body.id, first.body.media]);
    const other = await send(app, { to: '15550002222', media: { data: sample.png().toString('base64') } }, key);
    assert.deepEqual([other.status, other.body.error.code], [409, 'IDEMPOTENCY_KEY_REUSED']);
    const asDoc = await send(app, { to: '15550002222', media: { data: png.toString('base64') }, asDocument: true }, key);
    assert.equal(asDoc.status, 409, 'the same file sent another way is another message');
  });
});

describe('GET /api/media/<id>', () => {
  let app: TestApp;
  const png = sample.png();
  before(async () => {
    app = await startApp({ session: new FakeSession(READY), apiToken: API_TOKEN });
    await app.stores.media.putFile(sha256(png), png, app.clock.now());
    await app.stores.media.recordReceived({
      id: 'med_00000000-0000-4000-8000-000000000001',
      messageId: 'false_15550002222@c.us_ABCDEF123456',
      createdAt: app.clock.now(),
      mimetype: 'image/png',
      filename: 'rëceipt "1".png',
      size: png.length,
      sha256: sha256(png),
      kind: 'image',
    });
  });
  after(() => app.close());
  const url = () => `${app.url}/api/media/med_00000000-0000-4000-8000-000000000001`;

  it('the bytes with their type, length, an ETag of the sha256, as an attachment; API or admin token', async () => {
    for (const token of [API_TOKEN, TOKEN]) {
      const res = await fetch(url(), { headers: bearer(token) });
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), png);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.equal(res.headers.get('content-length'), String(png.length));
      assert.equal(res.headers.get('etag'), `"${sha256(png)}"`);
      assert.equal(res.headers.get('content-disposition'), `attachment; filename="r_ceipt _1_.png"; filename*=UTF-8''r%C3%ABceipt%20%221%22.png`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    }
    const cached = await fetch(url(), { headers: { ...bearer(API_TOKEN), 'If-None-Match': `"${sha256(png)}"` } });
    assert.equal(cached.status, 304);
  });

  it('401 without a token; 404 for an unknown id, with what to do', async () => {
    assert.equal((await fetch(url())).status, 401);
    for (const id of ['med_00000000-0000-4000-8000-000000000009', '..%2F..%2Fetc', 'x']) {
      const res = await fetch(`${app.url}/api/media/${id}`, { headers: bearer(API_TOKEN) });
      assert.equal(res.status, 404, id);
      assert.match(((await res.json()) as ErrorBody).error.message, /Ids come from the "message" webhook/);
    }
  });

  it('410 MEDIA_EXPIRED once MEDIA_RETENTION_HOURS have passed, before and after the prune', async () => {
    app.clock.elapse(24 * HOUR + 1);
    const expired = await fetch(url(), { headers: bearer(API_TOKEN) });
    assert.equal(expired.status, 410);
    const body = (await expired.json()) as ErrorBody;
    assert.equal(body.error.code, 'MEDIA_EXPIRED');
    assert.match(body.error.message, /MEDIA_RETENTION_HOURS \(24 h\)/);
    assert.deepEqual(await app.stores.media.prune(app.clock.now(), 24 * HOUR), { files: 1, expired: 1 });
    assert.equal((await fetch(url(), { headers: bearer(API_TOKEN) })).status, 410);
  });
});
