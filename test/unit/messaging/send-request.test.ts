import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/errors';
import { normalizeRecipient, parseIdempotencyKey, parseSendRequest } from '../../../src/messaging/send-request';

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
    for (const to of ['', 'abc', '12345', '1234567890123456', '0155500011', '(555) 000-1111', '15550001111@s.whatsapp.net', 'x@g.us', '1555@c.us', '15550001111@c.us; drop', '+1 555 000 1111 ext 2']) {
      assert.equal(normalizeRecipient(to), null, to);
    }
  });
});

describe('parseSendRequest', () => {
  it('returns the normalized chat, the text as sent and the reply target', () => {
    assert.deepEqual(parseSendRequest({ to: '+1 555 000 2222', text: '  hello\nthere ' }), { chatId: '15550002222@c.us', text: '  hello\nthere ', replyTo: null });
    const replyTo = 'false_15550002222@c.us_3A0F1B2C3D4E5F60';
    assert.equal(parseSendRequest({ to: '15550002222@c.us', text: 'yes', replyTo }).replyTo, replyTo);
  });

  it('gives each problem its own code', () => {
    assert.equal(codeOf(() => parseSendRequest(null)), 'BAD_REQUEST');
    assert.equal(codeOf(() => parseSendRequest([])), 'BAD_REQUEST');
    assert.equal(codeOf(() => parseSendRequest({ to: '15550002222', text: 'x', extra: 1 })), 'UNKNOWN_FIELD');
    assert.equal(codeOf(() => parseSendRequest({ text: 'x' })), 'INVALID_RECIPIENT');
    assert.equal(codeOf(() => parseSendRequest({ to: 'bob', text: 'x' })), 'INVALID_RECIPIENT');
    assert.equal(codeOf(() => parseSendRequest({ to: 15550002222, text: 'x' })), 'INVALID_RECIPIENT');
    assert.equal(codeOf(() => parseSendRequest({ to: '15550002222' })), 'INVALID_TEXT');
    assert.equal(codeOf(() => parseSendRequest({ to: '15550002222', text: '' })), 'INVALID_TEXT');
    assert.equal(codeOf(() => parseSendRequest({ to: '15550002222', text: '   ' })), 'INVALID_TEXT');
    assert.equal(codeOf(() => parseSendRequest({ to: '15550002222', text: 42 })), 'INVALID_TEXT');
    assert.equal(codeOf(() => parseSendRequest({ to: '15550002222', text: 'x', replyTo: 'nope' })), 'INVALID_REPLY_TO');
    assert.equal(codeOf(() => parseSendRequest({ to: '15550002222', text: 'x', replyTo: 7 })), 'INVALID_REPLY_TO');
  });

  it('counts characters, not UTF-16 units: 65,536 emoji pass, one more does not', () => {
    assert.equal(parseSendRequest({ to: '15550002222', text: '😀'.repeat(65_536) }).text.length, 131_072);
    assert.equal(codeOf(() => parseSendRequest({ to: '15550002222', text: 'x'.repeat(65_537) })), 'INVALID_TEXT');
  });
});

describe('parseIdempotencyKey', () => {
  it('takes 1 to 200 printable ASCII characters; absent is null', () => {
    assert.equal(parseIdempotencyKey(undefined), null);
    assert.equal(parseIdempotencyKey('order-42 / retry'), 'order-42 / retry');
    assert.equal(parseIdempotencyKey('k'.repeat(200)), 'k'.repeat(200));
    for (const bad of ['', 'k'.repeat(201), 'tab\there', 'é', 'line\nbreak']) assert.equal(codeOf(() => parseIdempotencyKey(bad)), 'INVALID_IDEMPOTENCY_KEY', JSON.stringify(bad));
  });
});
