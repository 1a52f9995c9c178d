// Scenario 6 of issue 3: WhatsApp connection states after `ready`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SimPhone } from '../sim';
import { Daemon, Sandbox } from '../support/daemon';
import { attachPhone, scanAndWaitReady } from '../support/phone';
import { sleep } from '../support/wait';

describe('connection states after ready', { timeout: 240_000 }, () => {
  let sandbox: Sandbox;
  let daemon: Daemon;
  let phone: SimPhone | undefined;

  before(async () => {
    sandbox = await Sandbox.create();
    daemon = await Daemon.start(sandbox, { env: { TAKEOVER_ON_CONFLICT: 'true', TAKEOVER_TIMEOUT_MS: '0' } });
    phone = await attachPhone(daemon);
    await scanAndWaitReady(daemon, phone);
  });
  after(async () => {
    await phone?.detach();
    if (!daemon.hasExited) await daemon.stop('SIGKILL');
    await sandbox.dispose();
  });

  for (const state of ['TIMEOUT', 'OPENING']) {
    it(`${state} is tolerated: still ready, same browser`, async () => {
      assert.ok(phone);
      const browser = await sandbox.browserMainProcesses();
      const before = daemon.transitions().length;
      const applied = await phone.setSocketState(state);
      assert.equal(applied.browserClosed, false);
      await sleep(3_000);
      assert.equal((await daemon.status()).state, 'ready');
      assert.deepEqual(daemon.transitions().slice(before), [], 'no transition at all');
      await phone.setSocketState('CONNECTED');
      assert.deepEqual(await sandbox.browserMainProcesses(), browser);
    });
  }

  it('CONFLICT is taken over (TAKEOVER_ON_CONFLICT=true): back to CONNECTED, still ready', async () => {
    assert.ok(phone);
    const before = daemon.transitions().length;
    await phone.setSocketState('CONFLICT');
    await phone.waitFor((s) => s.socketState === 'CONNECTED', { what: 'taken over', timeoutMs: 10_000 });
    await sleep(2_500);
    assert.equal((await daemon.status()).state, 'ready');
    assert.deepEqual(daemon.transitions().slice(before), []);
  });

  for (const state of ['UNPAIRED', 'DEPRECATED_VERSION']) {
    it(`${state}: reconnects with backoff, ready again, no QR, session kept`, async () => {
      assert.ok(phone);
      const before = daemon.transitions().length;
      const browser = await sandbox.browserMainProcesses();
      await phone.setSocketState(state);
      await phone.detach();
      phone = undefined;
      const reconnecting = await daemon.waitForState('reconnecting', 15_000);
      assert.ok(reconnecting.reconnectAttempt >= 1);
      const ready = await daemon.waitForState('ready', 30_000);
      assert.deepEqual(ready.me, { id: '15550001111', name: 'Sim Phone' });
      const transitions = daemon.transitions().slice(before);
      assert.ok(!transitions.includes('qr'), transitions.join(' '));
      assert.ok(!transitions.includes('logged_out'), transitions.join(' '));
      assert.deepEqual(transitions, ['reconnecting', 'starting', 'authenticated', 'ready']);
      const now = await sandbox.browserMainProcesses();
      assert.equal(now.length, 1);
      assert.notDeepEqual(now, browser, 'a new browser');
      phone = await attachPhone(daemon);
    });
  }
});
