// The DevTools pipe when Chromium dies, with a real browser: puppeteer stops listening for the
// pipe's errors once the Browser is closed or disconnected (both dispose its listeners), so a
// write still pending then fails on a stream nobody listens to, and Node makes that an uncaught
// exception: the daemon would exit. handlePipeErrors keeps them handled.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { handlePipeErrors } from '../../src/chromium/browser-pipes';
import { withTimeout } from '../support/wait';

const SCRIPT = path.join(__dirname, 'support', 'dead-pipe.ts');

/** The script's exit code and output, for `bare` (puppeteer alone) or `guarded` (with handlePipeErrors). */
async function deadPipe(mode: 'bare' | 'guarded'): Promise<{ code: number | null; out: string; err: string }> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-dead-pipe-'));
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, mode, profile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  try {
    const code = await withTimeout(new Promise<number | null>((resolve) => child.on('close', resolve)), 45_000, `dead-pipe.ts ${mode} to end`);
    return { code, out, err };
  } finally {
    child.kill('SIGKILL');
    // Whatever the script got to: its browser's whole process group (maybe stopped) ends here.
    const pid = /^pid: (\d+)$/m.exec(out)?.[1];
    if (pid !== undefined) {
      try {
        process.kill(-Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(profile, { recursive: true, force: true });
  }
}

describe('the DevTools pipe when the browser dies', { timeout: 120_000 }, () => {
  it('puppeteer alone: its listener is gone after disconnect, and the failed write is an uncaught exception (the trap)', async () => {
    const { code, out, err } = await deadPipe('bare');
    assert.match(out, /^listeners while connected: [1-9]/m, out);
    assert.match(out, /^pending: [1-9]/m, 'the write is still pending when puppeteer disconnects');
    assert.match(out, /^listeners after disconnect: 0$/m, out);
    assert.doesNotMatch(out, /survived/, out);
    assert.equal(code, 1, err);
    assert.match(err, /Unhandled 'error' event/, err);
    assert.match(err, /code: '(EPIPE|ECONNRESET)'/, err);
  });

  it('with handlePipeErrors: the same failure reaches the callback and the process lives on', async () => {
    const { code, out, err } = await deadPipe('guarded');
    assert.match(out, /^listeners after disconnect: 1$/m, out);
    assert.match(out, /^pending: [1-9]/m, 'the write is still pending when puppeteer disconnects');
    assert.match(out, /^handled (EPIPE|ECONNRESET)$/m, `${out}\n${err}`);
    assert.match(out, /^survived$/m, `${out}\n${err}`);
    assert.equal(code, 0, err);
  });

  it('a process with no streams, or none at all, is accepted', () => {
    handlePipeErrors(null, () => assert.fail('no stream, no error'));
    handlePipeErrors(undefined, () => assert.fail('no stream, no error'));
  });
});
