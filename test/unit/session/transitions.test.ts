import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SESSION_STATES, type SessionState } from '../../../src/session/session-state';
import { StateHolder } from '../../../src/session/state-holder';
import { isAllowedTransition, TRANSITIONS } from '../../../src/session/transitions';
import { FakeClock } from '../../support/fake-clock';
import { RecordingLogger } from '../../support/recording-logger';

describe('the transition table', () => {
  it('allows exactly its edges, plus logged_out (but from stopping), failed and stopping from every state', () => {
    for (const from of SESSION_STATES) {
      for (const to of SESSION_STATES) {
        const universal = from !== 'stopping' && (to === 'logged_out' || to === 'failed' || to === 'stopping');
        const expected = from === to || TRANSITIONS[from].includes(to) || universal;
        assert.equal(isAllowedTransition(from, to), expected, `${from} -> ${to}`);
      }
    }
  });

  it('failed and stopping are ends: failed leaves only for stopping or an operator clear, stopping for nothing', () => {
    assert.deepEqual(
      SESSION_STATES.filter((to) => to !== 'failed' && isAllowedTransition('failed', to)),
      ['logged_out', 'stopping'],
    );
    assert.deepEqual(
      SESSION_STATES.filter((to) => to !== 'stopping' && isAllowedTransition('stopping', to)),
      [],
    );
  });
});

describe('StateHolder', () => {
  function holder() {
    const logger = new RecordingLogger();
    const clock = new FakeClock();
    const seen: SessionState[] = [];
    const h = new StateHolder(
      {
        state: 'starting',
        me: null,
        qr: null,
        code: null,
        pairing: { method: 'qr', phoneNumber: null, retryAt: null },
        sessionExpired: false,
        message: 'Starting.',
        reconnectAttempt: 0,
        nextRetryAt: null,
        lastError: null,
      },
      clock,
      logger,
    );
    h.subscribe((snapshot) => void seen.push(snapshot.state));
    return { h, logger, clock, seen };
  }

  it('refuses an edge the table does not have: the state stays, nobody is told, and it is logged as a bug', () => {
    const { h, logger, seen } = holder();
    assert.equal(h.move('ready', { message: 'skipping ahead' }), false);
    assert.equal(h.state, 'starting');
    assert.equal(h.snapshot.message, 'Starting.');
    assert.deepEqual(seen, []);
    const [refusal] = logger.find('error', /Refused the transition starting -> ready/);
    assert.equal(refusal?.meta.event, 'session.transition_refused');
    assert.equal(refusal?.meta.from, 'starting');
    assert.equal(refusal?.meta.to, 'ready');
  });

  it('an allowed edge moves the state, stamps since, tells subscribers and logs a structured transition', async () => {
    const { h, logger, clock, seen } = holder();
    await clock.advance(1_000);
    assert.equal(h.move('qr', { message: 'Scan.' }), true);
    assert.equal(h.snapshot.since.getTime(), clock.now());
    assert.deepEqual(seen, ['qr']);
    const [line] = logger.find('info', /Session starting -> qr: Scan\./);
    assert.deepEqual([line?.meta.event, line?.meta.from, line?.meta.to], ['session.transition', 'starting', 'qr']);
  });

  it('an update in the same state keeps since and logs no transition', async () => {
    const { h, logger, clock } = holder();
    h.move('qr', { message: 'QR 1' });
    const since = h.snapshot.since;
    await clock.advance(5_000);
    assert.equal(h.move('qr', { message: 'QR 2' }), true);
    assert.equal(h.snapshot.since, since);
    assert.equal(logger.find('info', /Session qr -> qr/).length, 0);
  });
});
