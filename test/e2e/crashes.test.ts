// Scenarios 7 and 8 of issue 3: Chromium killed from outside; the daemon killed with kill -9.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Daemon, Sandbox } from '../support/daemon';
import { startPairedDaemon } from '../support/phone';
import { eventually } from '../support/wait';

describe('crashes', { timeout: 240_000 }, () => {
  let sandbox: Sandbox;
  let daemon: Daemon;

  before(async () => {
    sandbox = await Sandbox.create();
    daemon = await startPairedDaemon(sandbox);
  });
  after(async () => {
    if (!daemon.hasExited) await daemon.stop('SIGKILL');
    await sandbox.dispose();
  });

  it('Chromium killed with kill -9: noticed, relaunched, ready again without a QR', async () => {
    const before = daemon.transitions().length;
    const processes = await sandbox.browserProcesses();
    assert.ok(processes.length >= 1, 'the browser is running (one process with --single-process)');
    for (const pid of processes) process.kill(pid, 'SIGKILL');
    await daemon.waitForState('reconnecting', 10_000);
    const ready = await daemon.waitForState('ready', 30_000);
    assert.deepEqual(ready.me, { id: '15550001111', name: 'Sim Phone' });
    const transitions = daemon.transitions().slice(before);
    assert.deepEqual(transitions, ['reconnecting', 'starting', 'authenticated', 'ready']);
    assert.ok(daemon.lines.some((l) => /browser closed or crashed/.test(l)));
    assert.equal((await sandbox.browserMainProcesses()).length, 1);
  });

  it('the daemon killed with kill -9: the next start ends the orphaned Chromium and restores without a QR', async () => {
    const exit = await daemon.stop('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    // Puppeteer starts Chromium detached: it outlives the daemon and holds the profile.
    const orphans = await sandbox.browserProcesses();
    assert.ok(orphans.length > 0, 'the orphaned Chromium is still running');

    daemon = await Daemon.start(sandbox);
    const seen: string[] = [];
    const ready = await daemon.waitForState('ready', 30_000, seen);
    assert.deepEqual(ready.me, { id: '15550001111', name: 'Sim Phone' });
    assert.ok(!seen.includes('qr') && !daemon.transitions().includes('qr'), daemon.transitions().join(' '));
    assert.ok(daemon.lines.some((l) => /orphaned Chromium/.test(l)), daemon.tail());
    assert.ok(daemon.lines.some((l) => /stale instance lock/.test(l)), daemon.tail());
    const alive = await sandbox.browserProcesses();
    for (const pid of orphans) assert.ok(!alive.includes(pid), `orphan ${pid} was ended`);
    await eventually(async () => ((await sandbox.browserMainProcesses()).length === 1 ? true : undefined), 'one browser');
  });
});
