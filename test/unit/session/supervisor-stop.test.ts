import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flush } from '../../support/fake-clock';
import { deferred } from '../../support/deferred';
import { createHarness } from '../../support/supervisor-harness';
import { browserDies, assertTransitionsAllowed } from '../../support/supervisor-helpers';

describe('SessionSupervisor: stop()', () => {
  it('from ready: stopping, destroy (never logout), leftovers killed, session kept', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    await h.supervisor.stop();
    assert.equal(h.state(), 'stopping');
    assert.ok(client.count('destroy') >= 1);
    assert.equal(client.count('logout'), 0, 'restart never unpairs');
    assert.ok(h.guard.killLeftoversCalls >= 1);
    assert.equal(h.store.wipeCalls, 0);
    assert.notEqual(h.metadata.data.pairedAt, null);
    assert.equal(h.factory.live().length, 0);
    client.disconnected('LOGOUT');
    await h.clock.advance(600_000);
    assert.equal(h.factory.clients.length, 1);
    assert.equal(h.state(), 'stopping');
    assertTransitionsAllowed(h);
  });

  it('during reconnecting: the pending retry never launches a client', async () => {
    const h = createHarness();
    browserDies(await h.start());
    await flush();
    const kills = h.guard.killLeftoversCalls;
    await h.supervisor.stop();
    assert.equal(h.guard.killLeftoversCalls, kills + 1, 'with no client in hand, stop still ends any Chromium left on the profile');
    await h.clock.advance(600_000);
    assert.equal(h.factory.clients.length, 1);
    assert.equal(h.state(), 'stopping');
  });

  it('a launch queued before stop() never creates its client', async () => {
    const h = createHarness();
    const gate = deferred();
    browserDies(await h.start());
    await flush();
    h.guard.prepareGate = gate.promise;
    await h.clock.advance(5_000); // the retry fires; its launch waits in prepare()
    assert.equal(h.guard.prepareCalls, 2);
    const stopped = h.supervisor.stop();
    gate.resolve();
    await stopped;
    await h.clock.advance(600_000);
    assert.equal(h.factory.clients.length, 1);
  });

  it('stop() right after start() (before the launch ran) creates no client', async () => {
    const h = createHarness();
    void h.supervisor.start();
    await h.supervisor.stop();
    await h.clock.advance(600_000);
    assert.equal(h.factory.clients.length, 0);
    assert.equal(h.state(), 'stopping', 'the queued launch does not move the state back to starting');
    assert.deepEqual(h.transitions, ['starting → stopping']);
  });

  it('stop() twice is one teardown', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    const first = h.supervisor.stop();
    const second = h.supervisor.stop();
    assert.equal(first, second);
    await first;
    const destroys = client.count('destroy');
    const kills = h.guard.killLeftoversCalls;
    await h.supervisor.stop();
    assert.equal(client.count('destroy'), destroys);
    assert.equal(h.guard.killLeftoversCalls, kills);
    assert.equal(h.transitions.filter((t) => t.endsWith('→ stopping')).length, 1);
  });

  it('a hanging destroy() does not hold stop() forever; leftovers are killed', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.destroyOutcome = 'hang';
    let stopped = false;
    void h.supervisor.stop().then(() => (stopped = true));
    await flush();
    assert.equal(stopped, false);
    await h.clock.advance(30_000);
    assert.equal(stopped, true);
    assert.ok(h.guard.killLeftoversCalls >= 1);
    assert.equal(h.factory.live().length, 0);
  });

  it('a hanging destroy() still lets stop() finish within timeouts.shutdownMs (before the hard exit)', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.destroyOutcome = 'hang';
    let stopped = false;
    void h.supervisor.stop().then(() => (stopped = true));
    await h.clock.advance(h.config.timeouts.shutdownMs - 1);
    assert.equal(
      stopped,
      true,
      `stop() still running after ${h.config.timeouts.shutdownMs - 1} ms; destroy() called ${client.count('destroy')} times`,
    );
    assert.equal(h.factory.live().length, 0);
  });
});
