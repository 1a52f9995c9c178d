import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settleWithin, TimeoutError, withTimeout } from '../../../src/common/with-timeout';
import { deferred, never } from '../../support/deferred';
import { FakeClock, flush } from '../../support/fake-clock';

/** Observes a promise's outcome without awaiting it. */
function watch<T>(promise: Promise<T>) {
  const seen: { status: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { status: 'pending' };
  promise.then(
    (value) => Object.assign(seen, { status: 'resolved', value }),
    (error: unknown) => Object.assign(seen, { status: 'rejected', error }),
  );
  return seen;
}

describe('withTimeout', () => {
  it('resolves with the value when the promise wins, and clears its timer', async () => {
    const clock = new FakeClock();
    const d = deferred<string>();
    const seen = watch(withTimeout(d.promise, 1_000, clock, 'getState()'));
    await clock.advance(999);
    assert.equal(seen.status, 'pending');
    d.resolve('CONNECTED');
    await flush();
    assert.deepEqual(seen, { status: 'resolved', value: 'CONNECTED' });
    assert.equal(clock.pending(), 0);
  });

  it('rejects with the original error when the promise rejects first, and clears its timer', async () => {
    const clock = new FakeClock();
    const error = new Error('Target closed');
    const seen = watch(withTimeout(Promise.reject(error), 1_000, clock, 'destroy'));
    await flush();
    assert.equal(seen.status, 'rejected');
    assert.equal(seen.error, error);
    assert.equal(clock.pending(), 0);
  });

  it('rejects with TimeoutError naming the call and the limit, exactly at ms', async () => {
    const clock = new FakeClock();
    const seen = watch(withTimeout(never(), 5_000, clock, 'destroy'));
    await clock.advance(4_999);
    assert.equal(seen.status, 'pending');
    await clock.advance(1);
    assert.equal(seen.status, 'rejected');
    assert.ok(seen.error instanceof TimeoutError);
    assert.equal(seen.error.name, 'TimeoutError');
    assert.match(seen.error.message, /destroy/);
    assert.match(seen.error.message, /5000 ms/);
  });

  it('a late settle after the timeout changes nothing', async () => {
    const clock = new FakeClock();
    const d = deferred<number>();
    const seen = watch(withTimeout(d.promise, 10, clock, 'x'));
    await clock.advance(10);
    d.resolve(1);
    await flush();
    assert.equal(seen.status, 'rejected');
  });
});

describe('settleWithin', () => {
  it('is true when the promise resolves in time', async () => {
    const clock = new FakeClock();
    assert.equal(await settleWithin(Promise.resolve('x'), 100, clock), true);
    assert.equal(clock.pending(), 0);
  });

  it('is true when the promise rejects in time (it settled), and does not reject', async () => {
    const clock = new FakeClock();
    assert.equal(await settleWithin(Promise.reject(new Error('boom')), 100, clock), true);
  });

  it('is false after ms when the promise never settles', async () => {
    const clock = new FakeClock();
    const seen = watch(settleWithin(never(), 10_000, clock));
    await clock.advance(9_999);
    assert.equal(seen.status, 'pending');
    await clock.advance(1);
    assert.deepEqual(seen, { status: 'resolved', value: false });
  });
});
