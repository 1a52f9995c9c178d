import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClientGoneError } from '../../../src/whatsapp/client-gone';

describe('isClientGoneError', () => {
  const gone = [
    'Protocol error (Runtime.callFunctionOn): Target closed.',
    'Protocol error (Runtime.callFunctionOn): Session closed. Most likely the page has been closed.',
    'Execution context was destroyed, most likely because of a navigation.',
    "Attempted to use detached Frame '1A2B'.",
    'Navigating frame was detached',
    'Protocol error: Connection closed.',
    'Navigation failed because browser has disconnected!',
    'TARGET CLOSED',
  ];
  for (const message of gone) {
    it(`"${message}" (Error) is client gone`, () => {
      assert.equal(isClientGoneError(new Error(message)), true);
    });
  }

  it('bare strings thrown by whatsapp-web.js count too', () => {
    assert.equal(isClientGoneError('auth timeout'), true);
    assert.equal(isClientGoneError('ready timeout'), true);
    assert.equal(isClientGoneError('Target closed'), true);
  });

  it('"auth timeout" only as the whole message (the library throws exactly that)', () => {
    assert.equal(isClientGoneError(new Error('auth timeout')), true);
    assert.equal(isClientGoneError('user auth timeout exceeded in my handler'), false);
  });

  it('ordinary errors are not client gone', () => {
    for (const error of [
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      new Error('ENOSPC: no space left on device'),
      'something else',
      null,
      undefined,
      42,
      { code: 'E' },
    ]) {
      assert.equal(isClientGoneError(error), false, JSON.stringify(error));
    }
  });
});
