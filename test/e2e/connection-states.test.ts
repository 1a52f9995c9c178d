// WhatsApp connection states after `ready`: which are tolerated, which are a lost connection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useScene } from '../support/scene';
import { Daemon } from '../support/daemon';
import { attachPhone, scanAndWaitReady } from '../support/phone';
import { sleep } from '../support/wait';

describe('connection states after ready', { timeout: 240_000 }, () => {
  const scene = useScene(async () => {
    scene.daemon = await Daemon.start(scene.sandbox, { env: { TAKEOVER_ON_CONFLICT: 'true', TAKEOVER_TIMEOUT_MS: '0' } });
    scene.phone = await attachPhone(scene.daemon);
    await scanAndWaitReady(scene.daemon, scene.phone);
  });

  for (const state of ['TIMEOUT', 'OPENING']) {
    it(`${state} is tolerated: still ready, same browser`, async () => {
      assert.ok(scene.phone);
      const browser = await scene.sandbox.browserMainProcesses();
      const before = scene.daemon.transitions().length;
      const applied = await scene.phone.setSocketState(state);
      assert.equal(applied.browserClosed, false);
      await sleep(3_000);
      assert.equal((await scene.daemon.status()).state, 'ready');
      assert.deepEqual(scene.daemon.transitions().slice(before), [], 'no transition at all');
      await scene.phone.setSocketState('CONNECTED');
      assert.deepEqual(await scene.sandbox.browserMainProcesses(), browser);
    });
  }

  it('CONFLICT is taken over (TAKEOVER_ON_CONFLICT=true): back to CONNECTED, still ready', async () => {
    assert.ok(scene.phone);
    const before = scene.daemon.transitions().length;
    await scene.phone.setSocketState('CONFLICT');
    await scene.phone.waitFor((s) => s.socketState === 'CONNECTED', { what: 'taken over', timeoutMs: 10_000 });
    await sleep(2_500);
    assert.equal((await scene.daemon.status()).state, 'ready');
    assert.deepEqual(scene.daemon.transitions().slice(before), []);
  });

  for (const state of ['UNPAIRED', 'DEPRECATED_VERSION']) {
    it(`${state}: reconnects with backoff, ready again, no QR, session kept`, async () => {
      assert.ok(scene.phone);
      const before = scene.daemon.transitions().length;
      const browser = await scene.sandbox.browserMainProcesses();
      await scene.phone.setSocketState(state);
      await scene.phone.detach();
      scene.phone = undefined;
      const reconnecting = await scene.daemon.waitForState('reconnecting', 15_000);
      assert.ok(reconnecting.reconnectAttempt >= 1);
      const ready = await scene.daemon.waitForState('ready', 30_000);
      assert.deepEqual(ready.me, { id: '15550001111', name: 'Sim Phone' });
      const transitions = scene.daemon.transitions().slice(before);
      assert.ok(!transitions.includes('qr'), transitions.join(' '));
      assert.ok(!transitions.includes('logged_out'), transitions.join(' '));
      assert.deepEqual(transitions, ['reconnecting', 'starting', 'authenticated', 'ready']);
      const now = await scene.sandbox.browserMainProcesses();
      assert.equal(now.length, 1);
      assert.notDeepEqual(now, browser, 'a new browser');
      scene.phone = await attachPhone(scene.daemon);
    });
  }
});
