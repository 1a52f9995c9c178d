import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/common/errors';
import { prepareSend } from '../../../src/media/prepare-media';
import { decodeBase64 } from '../../../src/media/decode-base64';
import { parseSendRequest } from '../../../src/messaging/send-request';
import { sample, sha256 } from '../../support/media-samples';

const LIMITS = { maxBytes: 1_048_576, urlAllowPrivate: false };
const to = '15550002222';

async function codeOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'no error';
}

const prepare = (body: unknown, limits = LIMITS) => prepareSend(parseSendRequest(body), limits);
const b64 = (bytes: Buffer) => bytes.toString('base64');

describe('prepareSend', () => {
  it('a text passes through without media', async () => {
    assert.deepEqual(await prepare({ to, text: 'hi' }), { chatId: '15550002222@c.us', text: 'hi', replyTo: null, media: null });
  });

  it('reads the type from the bytes and keeps the exact bytes, their size and sha256; the kind follows type and options', async () => {
    const cases: Array<[Buffer, Record<string, unknown>, string, string]> = [
      [sample.png(), {}, 'image/png', 'image'],
      [sample.png(), { asSticker: true }, 'image/png', 'sticker'],
      [sample.png(), { asDocument: true }, 'image/png', 'document'],
      [sample.mp4(), {}, 'video/mp4', 'video'],
      [sample.mp3(), {}, 'audio/mpeg', 'audio'],
      [sample.opus(), { asVoice: true }, 'audio/ogg', 'voice'],
      [sample.pdf(), {}, 'application/pdf', 'document'],
    ];
    for (const [bytes, options, mimetype, kind] of cases) {
      const { media } = await prepare({ to, media: { data: b64(bytes) }, ...options });
      assert.ok(media);
      assert.deepEqual(media.bytes, bytes);
      assert.deepEqual(
        [media.facts.mimetype, media.facts.kind, media.facts.size, media.facts.sha256],
        [mimetype, kind, bytes.length, sha256(bytes)],
        `${mimetype} ${JSON.stringify(options)}`,
      );
    }
  });

  it('a document sent without a name gets one from its type; a given name is kept', async () => {
    assert.equal((await prepare({ to, media: { data: b64(sample.pdf()) } })).media?.facts.filename, 'file.pdf');
    assert.equal((await prepare({ to, media: { data: b64(sample.pdf()), filename: 'invoice-42.pdf' } })).media?.facts.filename, 'invoice-42.pdf');
    assert.equal((await prepare({ to, media: { data: b64(sample.png()) } })).media?.facts.filename, null, 'an image shows no name');
  });

  it('text formats with no magic bytes count when the bytes are text', async () => {
    const csv = Buffer.from('id;amount\n1;42\n');
    const { media } = await prepare({ to, media: { data: b64(csv), filename: 'totals.csv' } });
    assert.deepEqual([media?.facts.mimetype, media?.facts.kind], ['text/csv', 'document']);
    assert.equal((await prepare({ to, media: { data: b64(Buffer.from('plain words')) } })).media?.facts.mimetype, 'text/plain');
  });

  it('a declared type is checked against the bytes; aliases and parameters are the same type', async () => {
    assert.equal(await codeOf(() => prepare({ to, media: { data: b64(sample.pdf()), mimetype: 'image/png' } })), 'MEDIA_TYPE_MISMATCH');
    assert.equal(await codeOf(() => prepare({ to, media: { data: b64(Buffer.from('hello')), mimetype: 'image/jpeg' } })), 'MEDIA_TYPE_MISMATCH');
    assert.equal((await prepare({ to, media: { data: b64(sample.opus()), mimetype: 'audio/ogg; codecs=opus' } })).media?.facts.mimetype, 'audio/ogg');
    assert.equal((await prepare({ to, media: { data: b64(sample.mp3()), mimetype: 'audio/mp3' } })).media?.facts.mimetype, 'audio/mpeg');
  });

  it('refuses what WhatsApp cannot take, options that do not fit, empty files and bad base64', async () => {
    assert.equal(await codeOf(() => prepare({ to, media: { data: b64(sample.exe()) } })), 'UNSUPPORTED_MEDIA_TYPE');
    assert.equal(await codeOf(() => prepare({ to, media: { data: b64(Buffer.from([0, 1, 2, 3, 0, 255, 7])) } })), 'UNSUPPORTED_MEDIA_TYPE');
    assert.equal(await codeOf(() => prepare({ to, media: { data: b64(sample.pdf()) }, asVoice: true })), 'INVALID_MEDIA_OPTION');
    assert.equal(await codeOf(() => prepare({ to, media: { data: b64(sample.mp3()) }, asSticker: true })), 'INVALID_MEDIA_OPTION');
    for (const bad of ['not base64!', 'aGk', 'aG=k', 'aGk=='])
      assert.equal(await codeOf(() => prepare({ to, media: { data: bad } })), 'INVALID_MEDIA', bad);
  });

  it('over MEDIA_MAX_BYTES is 413 saying the limit, decided before decoding', async () => {
    const error = await prepare(
      { to, media: { data: b64(Buffer.concat([sample.pdf(), Buffer.alloc(2_000, 32)])) } },
      { ...LIMITS, maxBytes: 1_024 },
    ).catch((e: unknown) => e);
    assert.ok(error instanceof AppError && error.code === 'MEDIA_TOO_LARGE');
    assert.match(error.message, /limit is 1024 bytes \(MEDIA_MAX_BYTES\)/);
    // The size is known from the length: a huge string is refused without a Buffer of it.
    assert.throws(() => decodeBase64('A'.repeat(8_000_000), 1_024), /limit is 1024 bytes/);
  });

  it('base64 may come wrapped in lines or as a data: URL', async () => {
    const png = sample.png();
    const wrapped = (b64(png).match(/.{1,76}/g) ?? []).join('\r\n');
    assert.deepEqual((await prepare({ to, media: { data: wrapped } })).media?.bytes, png);
    assert.deepEqual((await prepare({ to, media: { data: `data:image/png;base64,${b64(png)}` } })).media?.bytes, png);
  });
});
