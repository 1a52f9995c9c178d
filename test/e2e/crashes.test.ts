// Crashes: Chromium killed from outside; the daemon killed with kill -9.
import assert from 'node:assert/strict';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { browserBinaries } from '../../src/config/find-browser';
import { CHROME_PATH } from '../support/browser';
import { useScene } from '../support/scene';
import { Daemon } from '../support/daemon';
import { startPairedDaemon } from '../support/phone';
import { eventually } from '../support/wait';

describe('crashes', { timeout: 240_000 }, () => {
  const scene = useScene(async () => {
    scene.daemon = await startPairedDaemon(scene.sandbox);
  });

  it('Chromium killed with kill -9: noticed, relaunched, ready again without a QR', async () => {
    const before = scene.daemon.transitions().length;
    const processes = await scene.sandbox.browserProcesses();
    assert.ok(processes.length >= 1, 'the browser is running (one process with --single-process)');
    for (const pid of processes) process.kill(pid, 'SIGKILL');
    await scene.daemon.waitForState('reconnecting', 10_000);
    const ready = await scene.daemon.waitForState('ready', 30_000);
    assert.deepEqual(ready.me, { id: '15550001111', name: 'Sim Phone' });
    const transitions = scene.daemon.transitions().slice(before);
    assert.deepEqual(transitions, ['reconnecting', 'starting', 'authenticated', 'ready']);
    assert.ok(scene.daemon.lines.some((l) => /browser closed or crashed/.test(l)));
    assert.equal((await scene.sandbox.browserMainProcesses()).length, 1);
  });

  it('the daemon killed with kill -9: its browser dies with it (the parent-death signal), the next start restores without a QR', async () => {
    const browser = await scene.sandbox.browserProcesses();
    assert.ok(browser.length > 0);
    const exit = await scene.daemon.stop('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    // Started through scripts/run-browser.sh (setpriv --pdeathsig KILL): the kernel ends it too.
    await eventually(
      async () => ((await scene.sandbox.browserProcesses()).length === 0 ? true : undefined),
      'the browser gone with the daemon',
      5_000,
    );

    scene.daemon = await Daemon.start(scene.sandbox);
    const ready = await scene.daemon.waitForState('ready', 30_000);
    assert.deepEqual(ready.me, { id: '15550001111', name: 'Sim Phone' });
    assert.ok(!scene.daemon.transitions().includes('qr'), scene.daemon.transitions().join(' '));
    assert.ok(
      scene.daemon.lines.some((l) => /stale instance lock/.test(l)),
      scene.daemon.tail(),
    );
  });

  it('without setpriv the browser outlives kill -9: the next start ends the orphaned Chromium and restores without a QR', async () => {
    // A PATH with no setpriv: the browser is started directly, as on a system without util-linux.
    const noSetpriv = { PATH: '/nonexistent' };
    await scene.daemon.stop('SIGTERM');
    scene.daemon = await Daemon.start(scene.sandbox, { env: noSetpriv });
    await scene.daemon.waitForState('ready', 30_000);
    const exit = await scene.daemon.stop('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    // Puppeteer starts Chromium detached: it outlives the daemon and holds the profile.
    const orphans = await scene.sandbox.browserProcesses();
    assert.ok(orphans.length > 0, 'the orphaned Chromium is still running');

    scene.daemon = await Daemon.start(scene.sandbox, { env: noSetpriv });
    const seen: string[] = [];
    const ready = await scene.daemon.waitForState('ready', 30_000, seen);
    assert.deepEqual(ready.me, { id: '15550001111', name: 'Sim Phone' });
    assert.ok(!seen.includes('qr') && !scene.daemon.transitions().includes('qr'), scene.daemon.transitions().join(' '));
    assert.ok(
      scene.daemon.lines.some((l) => /orphaned Chromium/.test(l)),
      scene.daemon.tail(),
    );
    assert.ok(
      scene.daemon.lines.some((l) => /stale instance lock/.test(l)),
      scene.daemon.tail(),
    );
    const alive = await scene.sandbox.browserProcesses();
    for (const pid of orphans) assert.ok(!alive.includes(pid), `orphan ${pid} was ended`);
    await eventually(async () => ((await scene.sandbox.browserMainProcesses()).length === 1 ? true : undefined), 'one browser');
  });

  const [binary] = browserBinaries(CHROME_PATH);
  it(
    'a browser behind a wrapper no reading can follow (it execs a name found on PATH): its binary is learned while it runs, and after kill -9 the next start ends the orphan',
    { skip: binary === undefined ? `no browser binary behind ${CHROME_PATH}` : false },
    async () => {
      // The wrapper carries the binary's own name (so the launch mode is right) and execs a
      // link found on a PATH without setpriv: nothing in the script names the binary.
      const bin = path.join(scene.sandbox.root, 'bin');
      await mkdir(bin, { recursive: true });
      await symlink(binary as string, path.join(bin, 'the-browser'));
      const wrapper = path.join(scene.sandbox.root, path.basename(binary as string));
      await writeFile(wrapper, '#!/bin/sh\nexec the-browser "$@"\n');
      await chmod(wrapper, 0o755);
      assert.deepEqual(browserBinaries(wrapper), [], 'the script alone does not tell');
      const env = { CHROME_PATH: wrapper, PATH: `${bin}:/nonexistent` };

      await scene.daemon.stop('SIGTERM');
      scene.daemon = await Daemon.start(scene.sandbox, { env });
      await scene.daemon.waitForState('ready', 30_000);
      await scene.daemon.waitForLog(/learned the browser's binary/, 10_000);
      await scene.daemon.stop('SIGKILL');
      const orphans = await scene.sandbox.browserProcesses();
      assert.ok(orphans.length > 0, 'the orphaned Chromium is still running');

      scene.daemon = await Daemon.start(scene.sandbox, { env });
      const seen: string[] = [];
      await scene.daemon.waitForState('ready', 30_000, seen);
      assert.ok(!seen.includes('qr'), seen.join(' '));
      assert.ok(
        scene.daemon.lines.some((l) => /orphaned Chromium/.test(l)),
        scene.daemon.tail(),
      );
      const alive = await scene.sandbox.browserProcesses();
      for (const pid of orphans) assert.ok(!alive.includes(pid), `orphan ${pid} was ended`);
    },
  );
});
