import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BrowserBinaries } from '../../../src/chromium/browser-binaries';
import { RecordingLogger } from '../../support/recording-logger';
import { eventually } from '../../support/wait';

describe('BrowserBinaries', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-binaries-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("learns what a process runs once a wrapper has exec'd, keeps it in a 0600 file, and the next start knows it", async () => {
    const file = path.join(dir, 'wa-tether-x.browser.json');
    const binaries = await BrowserBinaries.load(file, ['/usr/lib/chromium/chromium-headless-shell'], new RecordingLogger());
    // A shell that execs, as a wrapper script does: /proc shows the shell first, then the binary.
    const child = spawn('/bin/sh', ['-c', 'exec sleep 30'], { stdio: 'ignore' });
    await once(child, 'spawn');
    try {
      const sleepBinary = await realpath(execFileSync('/bin/sh', ['-c', 'command -v sleep']).toString().trim());
      await eventually(async () => ((await realpath(`/proc/${child.pid}/exe`)) === sleepBinary ? true : undefined), 'the exec', 5_000);
      await binaries.learn(child.pid as number);
      assert.deepEqual(binaries.list(), ['/usr/lib/chromium/chromium-headless-shell', sleepBinary]);
      assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { binaries: ['/usr/lib/chromium/chromium-headless-shell', sleepBinary] });
      assert.equal((await stat(file)).mode & 0o777, 0o600);

      const next = await BrowserBinaries.load(file, [], new RecordingLogger());
      assert.deepEqual(next.list(), ['/usr/lib/chromium/chromium-headless-shell', sleepBinary]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a process that is gone teaches nothing, and an unreadable record reads as nothing learned', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{"binaries": "not a list"');
    const binaries = await BrowserBinaries.load(file, ['/opt/chrome'], new RecordingLogger());
    assert.deepEqual(binaries.list(), ['/opt/chrome']);
    await binaries.learn(2 ** 22 + 12_345);
    assert.deepEqual(binaries.list(), ['/opt/chrome']);
  });
});
