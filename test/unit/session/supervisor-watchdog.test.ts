import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flush } from '../../support/fake-clock';
import { createHarness } from '../../support/supervisor-harness';

describe('SessionSupervisor: watchdog', () => {
  it('probes getState() every watchdogIntervalMs while ready; answers keep it ready', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    assert.equal(client.count('getState'), 0);
    await h.clock.advance(29_999);
    assert.equal(client.count('getState'), 0);
    await h.clock.advance(1);
    assert.equal(client.count('getState'), 1);
    await h.clock.advance(30_000);
    assert.equal(client.count('getState'), 2);
    await h.clock.advance(60_000);
    assert.equal(client.count('getState'), 4);
    assert.equal(h.state(), 'ready');
  });

  it("probes while showing a QR too: 'UNPAIRED' (the page before login) is fine, a hang is not", async () => {
    const h = createHarness();
    const client = await h.start();
    client.stateAnswer = 'UNPAIRED';
    client.qr();
    client.qr('second-qr');
    await h.clock.advance(30_000);
    assert.equal(client.count('getState'), 1, 'armed once, not re-armed by every QR');
    assert.equal(h.state(), 'qr');
    await h.clock.advance(3 * 30_000);
    assert.equal(client.count('getState'), 4, 'UNPAIRED answers keep the probe going');
    assert.equal(h.state(), 'qr');
    assert.deepEqual(h.transitions, ['starting → qr']);
    client.stateAnswer = 'hang';
    await h.clock.advance(30_000 + 10_000);
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /stopped answering/);
  });

  it('does not probe while starting, authenticated or reconnecting', async () => {
    const h = createHarness();
    const client = await h.start();
    await h.clock.advance(60_000);
    assert.equal(client.count('getState'), 0, 'starting');
    client.emit({ type: 'authenticated' });
    await h.clock.advance(60_000);
    assert.equal(client.count('getState'), 0, 'authenticated');
  });

  it('a getState() that hangs longer than watchdogTimeoutMs → reconnecting', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.stateAnswer = 'hang';
    await h.clock.advance(30_000);
    assert.equal(client.count('getState'), 1);
    await h.clock.advance(9_999);
    assert.equal(h.state(), 'ready');
    await h.clock.advance(1);
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /stopped answering/);
    assert.equal(h.store.wipeCalls, 0);
  });

  it('a getState() that rejects → reconnecting', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.stateAnswer = { reject: new Error('Execution context was destroyed') };
    await h.clock.advance(30_000);
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /Execution context was destroyed/);
  });

  it('a getState() of null (the page has no socket state) → reconnecting', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.stateAnswer = null;
    await h.clock.advance(30_000);
    assert.equal(h.state(), 'reconnecting');
  });
});

describe('SessionSupervisor: errors from inside the library', () => {
  it('an internal_error while ready probes the page at once', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.emit({ type: 'internal_error', error: new Error('auth timeout') });
    assert.equal(client.count('getState'), 1, 'probed without waiting for the interval');
    await flush();
    assert.equal(h.state(), 'ready');
    client.stateAnswer = { reject: new Error('Target closed') };
    client.emit({ type: 'internal_error', error: new Error('Target closed') });
    await flush();
    assert.equal(h.state(), 'reconnecting');
  });

  it('an internal_error while starting is logged, no probe, no state change', async () => {
    const h = createHarness();
    const client = await h.start();
    client.emit({ type: 'internal_error', error: new Error('Target closed') });
    await flush();
    assert.equal(client.count('getState'), 0);
    assert.equal(h.state(), 'starting');
    assert.equal(h.logger.find('warn', /own page handler/).length, 1);
  });

  it('an internal_error while showing a QR probes the page at once', async () => {
    const h = createHarness();
    const client = await h.start();
    client.stateAnswer = null;
    client.qr();
    client.emit({ type: 'internal_error', error: new Error('Target closed') });
    await flush();
    assert.equal(client.count('getState'), 1);
    assert.equal(h.state(), 'qr');
  });

  it('reportStrayError with "Target closed" in ready probes now; a dead page → reconnecting', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    h.supervisor.reportStrayError(new Error('Protocol error (Runtime.callFunctionOn): Target closed.'));
    assert.equal(client.count('getState'), 1);
    await flush();
    assert.equal(h.state(), 'ready', 'the page answered: still ready');
    client.stateAnswer = 'hang';
    h.supervisor.reportStrayError('Target closed');
    await h.clock.advance(10_000);
    assert.equal(h.state(), 'reconnecting');
  });

  it('reportStrayError with an unrelated error is logged and changes nothing', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    const before = h.snap();
    h.supervisor.reportStrayError(new TypeError("Cannot read properties of undefined (reading 'id')"));
    await flush();
    assert.equal(client.count('getState'), 0);
    assert.equal(h.snap(), before);
    assert.equal(h.logger.find('error', /Unexpected error/).length, 1);
  });
});

describe('SessionSupervisor: memory watchdog', () => {
  const MB = 1024 * 1024;

  it('over BROWSER_MEMORY_LIMIT_MB: restarts the browser keeping the session', async () => {
    let used = 300 * MB;
    const h = createHarness({ browserMemoryLimitMb: 400, browserMemory: async () => used });
    const client = await h.pairFresh();
    await h.clock.advance(30_000);
    assert.equal(h.state(), 'ready', 'under the limit');
    used = 450 * MB;
    await h.clock.advance(30_000);
    assert.equal(h.state(), 'reconnecting');
    assert.match(h.snap().lastError ?? '', /450 MB, over BROWSER_MEMORY_LIMIT_MB=400/);
    assert.equal(client.count('logout'), 0);
    assert.equal(h.store.wipeCalls, 0, 'the session is kept');
    assert.ok(client.count('destroy') >= 1);
  });

  it('limit 0 never measures', async () => {
    let measured = 0;
    const h = createHarness({
      browserMemoryLimitMb: 0,
      browserMemory: async () => {
        measured++;
        return 10_000 * MB;
      },
    });
    await h.pairFresh();
    await h.clock.advance(120_000);
    assert.equal(measured, 0);
    assert.equal(h.state(), 'ready');
  });
});
