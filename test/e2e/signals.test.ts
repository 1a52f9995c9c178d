// Signals at the worst moments: the daemon exits in order (code 0, lock released, no browser
// left) however early SIGTERM comes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { sessionPaths } from '../../src/storage/session-paths';
import { CLIENT_ID, Daemon } from '../support/daemon';
import { useScene } from '../support/scene';

describe('signals', { timeout: 120_000 }, () => {
  const scene = useScene();

  it('SIGTERM the moment HTTP listens (before the start has finished): an orderly exit, code 0', async () => {
    for (let round = 0; round < 3; round++) {
      const daemon = await Daemon.start(scene.sandbox, { waitForHttp: false });
      await daemon.waitForLog(/HTTP listening/, 20_000);
      const exit = await daemon.stop('SIGTERM');
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `round ${round}:\n${daemon.tail()}`);
      assert.ok(daemon.records.some((r) => /SIGTERM received: shutting down/.test(r.message)), 'the orderly shutdown ran');
      assert.deepEqual(daemon.records.filter((r) => r.level === 'error').map((r) => r.message), [], 'an orderly stop logs no error');
      assert.equal(existsSync(sessionPaths(scene.sandbox.authPath, CLIENT_ID).lockFile), false, 'the instance lock is released');
      assert.deepEqual(await scene.sandbox.browserProcesses(), [], 'no Chromium left');
    }
  });
});
