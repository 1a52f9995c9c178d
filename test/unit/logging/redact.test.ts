import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact, redactField } from '../../../src/logging/redact';

const TOKEN = 'tok_0123456789abcdef';
const QR = '2@AbCdEfGhIjKlMnOp,QrStUvWxYz0123456789=,abcdefghij=,klmnopqrst=';

describe('redact', () => {
  it('replaces every occurrence of a known secret inside strings', () => {
    assert.equal(redact(`a ${TOKEN} b ${TOKEN}`, [TOKEN]), 'a [redacted] b [redacted]');
    assert.equal(redact(`qr=${QR}`, [TOKEN, QR]), 'qr=[redacted]');
  });

  it('ignores secrets shorter than 8 characters (they would shred ordinary text)', () => {
    assert.equal(redact('the info is here', ['info', '']), 'the info is here');
  });

  it('redacts values under secret-named keys, in any case, at any reasonable depth', () => {
    const input = {
      Authorization: 'Bearer abc',
      cookie: 'sid=1',
      'set-cookie': ['a=1'],
      token: 'x',
      admin_token: 'y',
      adminToken: 'z',
      PASSWORD: 'p',
      secret: 's',
      qr: 'q',
      payload: 'pl',
      session: { keys: 'k' },
      nested: { list: [{ token: 't', keep: 'visible' }] },
    };
    assert.deepEqual(redact(input, []), {
      Authorization: '[redacted]',
      cookie: '[redacted]',
      'set-cookie': '[redacted]',
      token: '[redacted]',
      admin_token: '[redacted]',
      adminToken: '[redacted]',
      PASSWORD: '[redacted]',
      secret: '[redacted]',
      qr: '[redacted]',
      payload: '[redacted]',
      session: '[redacted]',
      nested: { list: [{ token: '[redacted]', keep: 'visible' }] },
    });
  });

  it('does not over-redact keys that merely contain a secret word', () => {
    assert.deepEqual(redact({ tokenCount: 3, sessionDir: '/d', qrIssuedAt: 'now' }, []), {
      tokenCount: 3,
      sessionDir: '/d',
      qrIssuedAt: 'now',
    });
  });

  it('turns an Error into its redacted message', () => {
    assert.equal(redact(new Error(`bad token ${TOKEN}`), [TOKEN]), 'bad token [redacted]');
  });

  it('leaves numbers, booleans, null and undefined alone and does not mutate its input', () => {
    const input = { n: 1, b: true, z: null, u: undefined, token: 'x' };
    assert.deepEqual(redact(input, []), { n: 1, b: true, z: null, u: undefined, token: '[redacted]' });
    assert.equal(input.token, 'x');
  });

  it('survives a circular structure', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    assert.doesNotThrow(() => redact(a, [TOKEN]));
  });

  it('never passes a secret through, however deeply it is nested', () => {
    let deep: Record<string, unknown> = { token: 'raw-token-value', note: `has ${TOKEN}` };
    for (let i = 0; i < 10; i++) deep = { level: deep };
    const out = JSON.stringify(redact(deep, [TOKEN]));
    assert.ok(!out.includes('raw-token-value'), `secret-named key leaked: ${out}`);
    assert.ok(!out.includes(TOKEN), `secret value leaked: ${out}`);
  });

  it('keeps dates readable instead of turning them into {}', () => {
    const out = JSON.stringify(redact({ nextRetryAt: new Date(0) }, []));
    assert.equal(out, '{"nextRetryAt":"1970-01-01T00:00:00.000Z"}');
  });
});

describe('redactField', () => {
  it('a secret-named top-level key is redacted whatever its value', () => {
    assert.equal(redactField('token', { a: 1 }, []), '[redacted]');
    assert.equal(redactField('qr', 'x', []), '[redacted]');
  });

  it('other keys have their content redacted', () => {
    assert.deepEqual(redactField('error', { message: `x ${TOKEN}`, password: 'p' }, [TOKEN]), {
      message: 'x [redacted]',
      password: '[redacted]',
    });
    assert.equal(redactField('component', 'session', [TOKEN]), 'session');
  });
});
