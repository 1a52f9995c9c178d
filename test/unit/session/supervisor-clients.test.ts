import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/common/errors';
import type { WaClientEvent } from '../../../src/whatsapp/wa-client';
import { flush } from '../../support/fake-clock';
import { createHarness, ME, type Harness } from '../../support/supervisor-harness';
import { browserDies, incoming, assertTransitionsAllowed } from '../../support/supervisor-helpers';

describe('SessionSupervisor: retired clients', () => {
  it('events from a replaced client are ignored', async () => {
    const h = createHarness();
    const old = await h.pairFresh();
    browserDies(old);
    old.ready(ME);
    old.authenticated();
    assert.equal(h.state(), 'reconnecting');
    await h.clock.advance(5_000);
    assert.equal(h.state(), 'starting');
    const events: WaClientEvent[] = [
      { type: 'qr', payload: 'stale' },
      { type: 'ready', me: ME },
      { type: 'disconnected', reason: 'LOGOUT' },
      { type: 'browser_disconnected' },
      { type: 'internal_error', error: new Error('Target closed') },
    ];
    for (const event of events) old.emit(event);
    await flush();
    assert.equal(h.state(), 'starting');
    assert.equal(h.qrs.length, 1);
    assert.equal(h.store.wipeCalls, 0);
    assert.equal(h.factory.clients.length, 2);
    assert.equal(old.count('getState'), 0);
    assert.equal(h.snap().reconnectAttempt, 1);
  });

  it('a late initialize() rejection from a replaced client is ignored', async () => {
    const h = createHarness({ configure: (c, i) => i === 0 && (c.initOutcome = 'manual') });
    const old = await h.start();
    old.qr();
    const done = h.supervisor.clear();
    await flush();
    old.failInitialize(new Error('Target closed'));
    await done;
    assert.equal(h.factory.clients.length, 2);
    h.factory.latest().qr();
    assert.equal(h.state(), 'qr');
  });
});

describe('SessionSupervisor: messages', () => {
  it('are delivered only in ready, and never from a retired client', async () => {
    const h = createHarness();
    const client = await h.start();
    client.message(incoming('!ping in starting'));
    client.qr();
    client.message(incoming('!ping in qr'));
    client.authenticated();
    client.message(incoming('!ping in authenticated'));
    client.ready(ME);
    const delivered = incoming('!ping in ready');
    client.message(delivered);
    assert.deepEqual(h.messages, [delivered]);
    browserDies(client);
    client.message(incoming('!ping from a retired client'));
    await h.clock.advance(5_000);
    await h.loginLatest();
    client.message(incoming('!ping from a retired client, new one ready'));
    const fresh = incoming('!ping from the new client');
    h.factory.latest().message(fresh);
    assert.deepEqual(h.messages, [delivered, fresh]);
  });
});

describe('SessionSupervisor: undecryptable messages', () => {
  it('are counted and logged with their id, never delivered, and change no state', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    assert.equal(h.supervisor.counters().undecryptableMessages, 0);
    client.emit({ type: 'message_undecryptable', id: 'false_15552223333@c.us_AAA', chatId: '15552223333@c.us' });
    client.emit({ type: 'message_undecryptable', id: 'false_15552223333@c.us_BBB', chatId: '15552223333@c.us' });
    assert.equal(h.supervisor.counters().undecryptableMessages, 2);
    const warnings = h.logger.find('warn', /could not be decrypted/);
    assert.equal(warnings.length, 2);
    assert.equal(warnings[0]?.meta?.messageId, 'false_15552223333@c.us_AAA');
    assert.equal(h.messages.length, 0);
    assert.equal(h.state(), 'ready');
  });
});

describe('SessionSupervisor: the transition table', () => {
  const scenarios: Array<[string, (h: Harness) => Promise<void>]> = [
    ['starting → qr', async (h) => (await h.start()).qr()],
    ['starting → authenticated', async (h) => (await h.start()).authenticated()],
    [
      'starting → reconnecting',
      async (h) => {
        await h.start();
        await h.clock.advance(h.config.timeouts.startMs);
      },
    ],
    [
      'starting → failed',
      async (h) => {
        h.factory.throwOnCreate = new Error('no browser');
        await h.supervisor.start();
      },
    ],
    [
      'qr → authenticated',
      async (h) => {
        const c = await h.start();
        c.qr();
        c.authenticated();
      },
    ],
    [
      'qr → reconnecting',
      async (h) => {
        const c = await h.start();
        c.qr();
        browserDies(c);
      },
    ],
    ['authenticated → ready', async (h) => void (await h.pairFresh())],
    [
      'authenticated → reconnecting',
      async (h) => {
        (await h.start()).authenticated();
        await h.clock.advance(h.config.timeouts.readyMs);
      },
    ],
    ['ready → reconnecting', async (h) => browserDies(await h.pairFresh())],
    ['ready → logged_out', async (h) => (await h.pairFresh()).disconnected('LOGOUT')],
    [
      'reconnecting → starting',
      async (h) => {
        browserDies(await h.start());
        await h.clock.advance(5_000);
      },
    ],
    [
      'logged_out → starting',
      async (h) => {
        (await h.pairFresh()).disconnected('LOGOUT');
        await flush();
      },
    ],
  ];

  for (const [edge, run] of scenarios) {
    it(edge, async () => {
      const h = createHarness();
      await run(h);
      await flush();
      assert.ok(h.transitions.includes(edge), `expected ${edge}; saw ${h.transitions.join(', ')}`);
      assertTransitionsAllowed(h);
    });
  }

  for (const state of ['starting', 'qr', 'authenticated', 'ready', 'reconnecting', 'logged_out', 'failed'] as const) {
    it(`${state} → stopping on stop()`, async () => {
      const h = createHarness({ reconnect: { maxAttempts: 1 } });
      const c = await h.start();
      if (state === 'qr') c.qr();
      if (state === 'authenticated') c.authenticated();
      if (state === 'ready') await h.loginLatest();
      if (state === 'reconnecting') browserDies(c);
      if (state === 'logged_out') {
        await h.loginLatest();
        h.factory.latest().disconnected('LOGOUT');
      }
      if (state === 'failed') {
        browserDies(c);
        await h.clock.advance(5_000);
        browserDies(h.factory.latest());
      }
      assert.equal(h.state(), state);
      await h.supervisor.stop();
      assert.equal(h.state(), 'stopping');
      await h.clock.advance(600_000);
      assert.equal(h.state(), 'stopping', 'nothing leaves stopping');
      assert.equal(h.factory.live().length, 0);
    });
  }

  it('failed is final: time passing and stray errors do not move it', async () => {
    const h = createHarness({ reconnect: { maxAttempts: 1 } });
    browserDies(await h.start());
    await h.clock.advance(5_000);
    browserDies(h.factory.latest());
    assert.equal(h.state(), 'failed');
    h.supervisor.reportStrayError(new Error('Target closed'));
    await h.clock.advance(3_600_000);
    assert.equal(h.state(), 'failed');
  });
});

describe('SessionSupervisor: withClient()', () => {
  it('runs with the live client while ready, and answers NOT_READY in every other state', async () => {
    const h = createHarness();
    const client = await h.start();
    await assert.rejects(
      h.supervisor.withClient(async () => 'x'),
      (error: unknown) => error instanceof AppError && error.code === 'NOT_READY',
    );
    client.qr();
    await assert.rejects(
      h.supervisor.withClient(async () => 'x'),
      /not ready \(the session is qr\)/,
    );
    client.authenticated();
    client.ready();
    await flush();
    const sent = await h.supervisor.withClient((live) => live.sendText('15550002222@c.us', 'hello', { quotedMessageId: 'abc' }));
    assert.match(sent.id, /^true_15550002222@c\.us_/);
    assert.deepEqual(client.sent, [{ chatId: '15550002222@c.us', text: 'hello', options: { quotedMessageId: 'abc' } }]);
    browserDies(client);
    await assert.rejects(
      h.supervisor.withClient(async () => 'x'),
      /not ready \(the session is reconnecting\)/,
    );
  });

  it('a "client gone" failure inside it probes the page at once; other failures do not', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    client.sendOutcome = { reject: new Error('boom: invalid wid') };
    await assert.rejects(
      h.supervisor.withClient((live) => live.sendText('x@c.us', 'hi')),
      /invalid wid/,
    );
    await flush();
    assert.equal(client.count('getState'), 0, 'an ordinary failure is the caller’s');
    client.sendOutcome = { reject: new Error('Protocol error (Runtime.callFunctionOn): Target closed') };
    client.stateAnswer = { reject: new Error('Target closed') };
    await assert.rejects(
      h.supervisor.withClient((live) => live.sendText('x@c.us', 'hi')),
      /Target closed/,
    );
    await flush();
    assert.equal(client.count('getState'), 1, 'probed at once, not 30 s later');
    assert.equal(h.state(), 'reconnecting');
  });
});

describe('SessionSupervisor: acks', () => {
  it('reach every ack sink, a failing sink logged and the others still served', async () => {
    const h = createHarness();
    const client = await h.pairFresh();
    const acks: Array<{ id: string; ack: number }> = [];
    h.supervisor.addAckSink(() => {
      throw new Error('sink bug');
    });
    h.supervisor.addAckSink((ack) => void acks.push(ack));
    client.emit({ type: 'message_ack', id: 'true_1555@c.us_X', ack: 2 });
    assert.deepEqual(acks, [{ id: 'true_1555@c.us_X', ack: 2 }]);
    assert.equal(h.logger.find('error', /sink failed/).length, 1);
    assert.equal(h.state(), 'ready');
  });
});
