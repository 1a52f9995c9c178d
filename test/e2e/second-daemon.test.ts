// A second daemon on the same AUTH_PATH refuses to start and says why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useScene } from '../support/scene';
import { Daemon } from '../support/daemon';
import { startPairedDaemon } from '../support/phone';
import { sleep } from '../support/wait';

describe('a second daemon on the same AUTH_PATH', { timeout: 120_000 }, () => {
  let first: Daemon;
  let second: Daemon | undefined;
  const scene = useScene(async () => {
    first = await startPairedDaemon(scene.sandbox);
    scene.daemon = first;
  });

  it('refuses with a message naming the holder; the first is untouched', async () => {
    const browser = await scene.sandbox.browserMainProcesses();
    second = await Daemon.start(scene.sandbox, { waitForHttp: false });
    scene.daemon = second;
    const exit = await second.exited;
    assert.equal(exit.code, 1, second.tail());
    const refusal = second.lines.find((l) => /Another wa-tether/.test(l));
    assert.ok(refusal, second.tail());
    assert.match(refusal, new RegExp(`pid ${first.pid}\\b`));
    assert.match(refusal, /Stop it first, or give this one a different AUTH_PATH or CLIENT_ID/);

    await sleep(1_000);
    const status = await first.status();
    assert.equal(status.state, 'ready');
    assert.deepEqual(await scene.sandbox.browserMainProcesses(), browser, 'same browser, nothing was killed');
    assert.equal((await first.stop('SIGTERM')).code, 0);
  });
});
