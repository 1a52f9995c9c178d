import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/common/errors';
import { normalizeRecipient } from '../../../src/common/chat-id';
import { parseIdempotencyKey, parseSendForm, parseSendRequest } from '../../../src/messaging/send-request';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error.code;
  }
  assert.fail('expected an AppError');
}

describe('normalizeRecipient', () => {
  it('takes a phone number with its country code, with spaces, + and -', () => {
    for (const to of ['+1 555 000 1111', '15550001111', '+1-555-000-1111', ' 1 555 0001111 ', '+62 812-3456-7890']) {
      assert.match(normalizeRecipient(to) ?? '', /^\d+@c\.us$/, to);
    }
    assert.equal(normalizeRecipient('+1 555 000 1111'), '15550001111@c.us');
  });

  it('takes chat ids as they are', () => {
    assert.equal(normalizeRecipient('15550001111@c.us'), '15550001111@c.us');
    assert.equal(normalizeRecipient('120363012345678901@g.us'), '120363012345678901@g.us');
    assert.equal(normalizeRecipient('15550001111-1600000000@g.us'), '15550001111-1600000000@g.us');
  });

  it('refuses what is no phone number or chat id', () => {
    for (const to of [
      '',
      'abc',
      '12345',
      '1234567890123456',
      '0155500011',
      '(555) 000-1111',
      '15550001111@s.whatsapp.net',
      'x@g.us',
      '1555@c.us',
      '15550001111@c.us; drop',
      '+1 555 000 1111 ext 2',
    ]) {
      assert.equal(normalizeRecipient(to), null, to);
    }
  });
});

describe('parseSendRequest', () => {
  it('returns the normalized chat, the text as sent and the reply target', () => {
    assert.deepEqual(parseSendRequest({ to: '+1 555 000 2222', text: '  hello\nthere ' }), {
      chatId: '15550002222@c.us',
      text: '  hello\nthere ',
      replyTo: null,
      media: null,
      options: { asDocument: false, asVoice: false, asSticker: false },
    });
    const replyTo = 'false_15550002222@c.us_3A0F1B2C3D4E5F60';
    assert.equal(parseSendRequest({ to: '15550002222@c.us', text: 'yes', replyTo }).replyTo, replyTo);
  });

  it('gives each problem its own code', () => {
    assert.equal(
      codeOf(() => parseSendRequest(null)),
      'BAD_REQUEST',
    );
    assert.equal(
      codeOf(() => parseSendRequest([])),
      'BAD_REQUEST',
    );
    assert.equal(
      codeOf(() => parseSendRequest({ to: '15550002222', text: 'x', extra: 1 })),
      'UNKNOWN_FIELD',
    );
    assert.equal(
      codeOf(() => parseSendRequest({ text: 'x' })),
      'INVALID_RECIPIENT',
    );
    assert.equal(
      codeOf(() => parseSendRequest({ to: 'bob', text: 'x' })),
      'INVALID_RECIPIENT',
    );
    assert.equal(
      codeOf(() => parseSendRequest({ to: 15550002222, text: 'x' })),
      'INVALID_RECIPIENT',
    );
    assert.equal(
      codeOf(() => parseSendRequest({ to: '15550002222' })),
      'INVALID_TEXT',
    );
    assert.equal(
      codeOf(() => parseSendRequest({ to: '15550002222', text: '' })),
      'INVALID_TEXT',
    );
    assert.equal(
      codeOf(() => parseSendRequest({ to: '15550002222', text: '   ' })),
      'INVALID_TEXT',
    );
    assert.equal(
      codeOf(() => parseSendRequest({ to: '15550002222', text: 42 })),
      'INVALID_TEXT',
    );
    assert.equal(
      codeOf(() => parseSendRequest({ to: '15550002222', text: 'x', replyTo: 'nope' })),
      'INVALID_REPLY_TO',
    );
    assert.equal(
      codeOf(() => parseSendRequest({ to: '15550002222', text: 'x', replyTo: 7 })),
      'INVALID_REPLY_TO',
    );
  });

  it('counts characters, not UTF-16 units: 65,536 emoji pass, one more does not', () => {
    assert.equal(parseSendRequest({ to: '15550002222', text: '😀'.repeat(65_536) }).text.length, 131_072);
    assert.equal(
      codeOf(() => parseSendRequest({ to: '15550002222', text: 'x'.repeat(65_537) })),
      'INVALID_TEXT',
    );
  });
});

describe('parseSendRequest with media', () => {
  const to = '15550002222';
  it('takes base64 data or a URL, with an optional type and name; text becomes the caption and may be absent', () => {
    assert.deepEqual(parseSendRequest({ to, media: { data: 'aGk=', mimetype: 'text/plain', filename: 'hi.txt' } }), {
      chatId: '15550002222@c.us',
      text: '',
      replyTo: null,
      media: { from: 'data', data: 'aGk=', mimetype: 'text/plain', filename: 'hi.txt' },
      options: { asDocument: false, asVoice: false, asSticker: false },
    });
    const byUrl = parseSendRequest({ to, text: 'the invoice', media: { url: 'https://files.example/i.pdf' }, asDocument: true });
    assert.deepEqual(
      [byUrl.text, byUrl.media, byUrl.options.asDocument],
      ['the invoice', { from: 'url', url: 'https://files.example/i.pdf', mimetype: null, filename: null }, true],
    );
    assert.equal(parseSendRequest({ to, text: '   ', media: { data: 'aGk=' } }).text, '', 'a blank caption is none');
  });

  it('a file name is a name, never a path', () => {
    const named = (filename: string) => (parseSendRequest({ to, media: { data: 'aGk=', filename } }).media as { filename: string | null }).filename;
    assert.equal(named('../../etc/passwd'), 'passwd');
    assert.equal(named('C:\\Users\\me\\report.pdf'), 'report.pdf');
    assert.equal(named('bad\u0000name\n.txt'), 'badname.txt');
    assert.equal(named('..'), null);
  });

  it('each problem has its code', () => {
    const cases: Array<[unknown, string]> = [
      [{ to, media: 'aGk=' }, 'INVALID_MEDIA'],
      [{ to, media: {} }, 'INVALID_MEDIA'],
      [{ to, media: { data: 'aGk=', url: 'https://x.example/a' } }, 'INVALID_MEDIA'],
      [{ to, media: { data: '' } }, 'INVALID_MEDIA'],
      [{ to, media: { data: 'aGk=', mimetype: 'not a type' } }, 'INVALID_MEDIA'],
      [{ to, media: { data: 'aGk=', size: 3 } }, 'UNKNOWN_FIELD'],
      [{ to, text: 'x', asVoice: true }, 'INVALID_MEDIA_OPTION'],
      [{ to, media: { data: 'aGk=' }, asVoice: 'yes' }, 'INVALID_MEDIA_OPTION'],
      [{ to, media: { data: 'aGk=' }, asVoice: true, asDocument: true }, 'INVALID_MEDIA_OPTION'],
      [{ to, media: { data: 'aGk=' }, text: 'x'.repeat(65_537) }, 'INVALID_TEXT'],
    ];
    for (const [body, code] of cases)
      assert.equal(
        codeOf(() => parseSendRequest(body)),
        code,
        JSON.stringify(body).slice(0, 80),
      );
  });

  it('a form: options as strings, one file part, the same checks', () => {
    const file = { bytes: Buffer.from('hi'), mimetype: 'text/plain', filename: 'dir/hi.txt' };
    const form = parseSendForm({ to, text: 'caption', asDocument: 'true', asVoice: '0', replyTo: '' }, file);
    assert.deepEqual(
      [form.text, form.replyTo, form.options, form.media],
      [
        'caption',
        null,
        { asDocument: true, asVoice: false, asSticker: false },
        { from: 'file', bytes: file.bytes, mimetype: 'text/plain', filename: 'hi.txt' },
      ],
    );
    assert.equal(
      codeOf(() => parseSendForm({ to, asSticker: 'maybe' }, file)),
      'INVALID_MEDIA_OPTION',
    );
    assert.equal(
      codeOf(() => parseSendForm({ to, media: '{}' }, file)),
      'UNKNOWN_FIELD',
    );
    assert.equal(
      codeOf(() => parseSendForm({ to }, null)),
      'INVALID_TEXT',
      'no file and no text: nothing to send',
    );
  });
});

describe('parseIdempotencyKey', () => {
  it('takes 1 to 200 printable ASCII characters; absent is null', () => {
    assert.equal(parseIdempotencyKey(undefined), null);
    assert.equal(parseIdempotencyKey('order-42 / retry'), 'order-42 / retry');
    assert.equal(parseIdempotencyKey('k'.repeat(200)), 'k'.repeat(200));
    for (const bad of ['', 'k'.repeat(201), 'tab\there', 'é', 'line\nbreak'])
      assert.equal(
        codeOf(() => parseIdempotencyKey(bad)),
        'INVALID_IDEMPOTENCY_KEY',
        JSON.stringify(bad),
      );
  });
});
