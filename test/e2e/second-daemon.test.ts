// Scenario 9 of issue 3: a second daemon on the same AUTH_PATH refuses to start and says why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Daemon, Sandbox } from '../support/daemon';
import { startPairedDaemon } from '../support/phone';
import { sleep } from '../support/wait';

describe('a second daemon on the same AUTH_PATH', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  let first: Daemon;
  let second: Daemon | undefined;

  before(async () => {
    sandbox = await Sandbox.create();
    first = await startPairedDaemon(sandbox);
  });
  after(async () => {
    if (second && !second.hasExited) await second.stop('SIGKILL');
    if (!first.hasExited) await first.stop('SIGKILL');
    await sandbox.dispose();
  });

  it('refuses with a message naming the holder; the first is untouched', async () => {
    const browser = await sandbox.browserMainProcesses();
    second = await Daemon.start(sandbox, { waitForHttp: false });
    const exit = await second.exited;
    assert.equal(exit.code, 1, second.tail());
    const refusal = second.lines.find((l) => /Another wa-tether/.test(l));
    assert.ok(refusal, second.tail());
    assert.match(refusal, new RegExp(`pid ${first.pid}\\b`));
    assert.match(refusal, /Stop it first, or give this one a different AUTH_PATH or CLIENT_ID/);

    await sleep(1_000);
    const status = await first.status();
    assert.equal(status.state, 'ready');
    assert.deepEqual(await sandbox.browserMainProcesses(), browser, 'same browser, nothing was killed');
    assert.equal((await first.stop('SIGTERM')).code, 0);
  });
});
