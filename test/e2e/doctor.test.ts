// `npm run doctor` run as an operator runs it: the real checks, the real browser, the real lock.
// A fresh setup passes; each deliberately broken thing is named with its fix, and exits 1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SIM_WEB_VERSION } from '../sim';
import { CHROME_PATH } from '../support/browser';
import { ADMIN_TOKEN, CLIENT_ID, Daemon, REPO_ROOT, Sandbox } from '../support/daemon';
import { doctor } from '../support/doctor';
import { freePort } from '../support/free-port';
import { sessionPaths } from '../../src/config/session-paths';
import { childEnv } from '../support/child-env';

const ALL_CHECKS = ['node', 'library', 'build', 'config', 'browser', 'launch', 'auth path', 'port', 'daemon', 'lock', 'session', 'web cache'];

describe('npm run doctor', { timeout: 180_000 }, () => {
  const sandboxes: Sandbox[] = [];
  const extra: Array<() => void> = [];
  after(async () => {
    for (const stop of extra) stop();
    for (const sandbox of sandboxes) await sandbox.dispose();
  });

  async function setup(): Promise<{ sandbox: Sandbox; env: Record<string, string> }> {
    const sandbox = await Sandbox.create();
    sandboxes.push(sandbox);
    const env: Record<string, string> = {
      ...childEnv(),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      CLIENT_ID,
      AUTH_PATH: sandbox.authPath,
      WEB_CACHE_PATH: sandbox.cachePath,
      WEB_VERSION: SIM_WEB_VERSION,
      WEB_CACHE_STRICT: 'true',
      CHROME_PATH,
      ADMIN_TOKEN,
    };
    return { sandbox, env };
  }

  it('a fresh setup: every check answers, the browser launches, nothing fails, exit 0', async () => {
    const { env } = await setup();
    const report = await doctor(env);
    assert.equal(report.code, 0, report.text);
    assert.deepEqual(
      report.lines.map((l) => l.name),
      ALL_CHECKS,
      report.text,
    );
    assert.deepEqual(
      report.lines.filter((l) => l.verdict === 'FAIL'),
      [],
    );
    assert.match(report.line('launch').detail, /Chrome\/\d+.*started headless/);
    assert.equal(report.line('lock').verdict, 'PASS');
    assert.equal(report.line('session').verdict, 'WARN', 'nobody paired yet');
    assert.match(report.line('session').fix ?? '', /scan the QR at \/qr/);
    assert.match(report.line('web cache').detail, new RegExp(`${SIM_WEB_VERSION.replace(/\./g, '\\.')} is served from`));
    assert.equal(report.text.includes(ADMIN_TOKEN), false, 'no token in the report');
  });

  it('no browser and an unwritable AUTH_PATH: both named with their fix, exit 1', async () => {
    const { sandbox, env } = await setup();
    // A file where a directory should be: unwritable for root too (the tests may run as root).
    const blocker = path.join(sandbox.root, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const report = await doctor({ ...env, CHROME_PATH: path.join(sandbox.root, 'no', 'chromium'), AUTH_PATH: path.join(blocker, 'auth') });
    assert.equal(report.code, 1, report.text);
    const browser = report.line('browser');
    assert.equal(browser.verdict, 'FAIL');
    assert.match(browser.detail, /CHROME_PATH/);
    assert.match(browser.fix ?? '', /install-system-packages\.sh|CHROME_PATH/);
    assert.equal(report.line('launch').verdict, 'SKIP');
    const auth = report.line('auth path');
    assert.equal(auth.verdict, 'FAIL');
    assert.match(auth.detail, /not writable \(ENOTDIR\)/);
    assert.match(auth.fix ?? '', /a file stands where one of its directories should be/);
    assert.match(report.text, /failed(, \d+ skipped)?: fix the FAIL lines/);
  });

  it('a lock held by a live process that is not a daemon answering here: named with its pid and the fix', async () => {
    const { sandbox, env } = await setup();
    await mkdir(sandbox.authPath, { recursive: true });
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `require('./src/storage/lock/instance-lock').acquireInstanceLock({ dir: ${JSON.stringify(sandbox.authPath)}, clientId: ${JSON.stringify(CLIENT_ID)}, logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } }).then(() => process.stdout.write('held\\n')); setInterval(() => {}, 1000);`,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    extra.push(() => holder.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before it held the lock`)));
    });
    const report = await doctor(env);
    assert.equal(report.code, 1, report.text);
    const lock = report.line('lock');
    assert.equal(lock.verdict, 'FAIL');
    assert.match(lock.detail, new RegExp(`held by pid ${holder.pid} .*INSTANCE_LOCKED`));
    assert.match(lock.fix ?? '', new RegExp(`kill ${holder.pid}`));

    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const stale = await doctor(env);
    assert.equal(stale.code, 0, stale.text);
    assert.equal(stale.line('lock').verdict, 'WARN');
    assert.match(stale.line('lock').detail, new RegExp(`its process ${holder.pid} is gone`));
  });

  it('with the daemon running: its port and lock are its own, and its state comes with the fix', async () => {
    const { sandbox, env } = await setup();
    const daemon = await Daemon.start(sandbox);
    extra.push(() => {
      if (!daemon.hasExited) process.kill(daemon.pid, 'SIGKILL');
    });
    await daemon.waitForState('qr');
    const report = await doctor({ ...env, PORT: String(daemon.port) });
    assert.equal(report.code, 0, report.text);
    assert.match(report.line('port').detail, /running wa-tether/);
    assert.equal(report.line('lock').verdict, 'PASS');
    assert.match(report.line('lock').detail, new RegExp(`held by the running daemon \\(pid ${daemon.pid}`));
    const state = report.line('daemon');
    assert.equal(state.verdict, 'WARN');
    assert.match(state.detail, /running, qr/);
    assert.match(state.fix ?? '', /scan the QR at \/qr/);
    await daemon.stop('SIGTERM', 15_000);
  });

  it('an invalid config: each problem named, the checks that need it skipped, exit 1', async () => {
    const { env } = await setup();
    const report = await doctor({ ...env, PORT: 'eighty', ADMIN_TOKEN: 'short' });
    assert.equal(report.code, 1, report.text);
    const problems = report.lines.filter((l) => l.name === 'config');
    assert.equal(problems.length, 2, report.text);
    assert.ok(problems.every((p) => p.verdict === 'FAIL'));
    assert.match(problems.map((p) => p.detail).join('\n'), /PORT/);
    assert.match(problems.map((p) => p.detail).join('\n'), /ADMIN_TOKEN must be at least 16/);
    assert.equal(report.text.includes("'short'") || report.text.includes('"short"'), false, 'a token is not echoed');
    assert.equal(report.line('browser').verdict, 'SKIP');
  });

  it('a session on disk: when it was last ready and for whom', async () => {
    const { sandbox, env } = await setup();
    const paths = sessionPaths(sandbox.authPath, CLIENT_ID);
    await mkdir(path.join(paths.profileDir, 'Default'), { recursive: true });
    await writeFile(path.join(paths.profileDir, 'Default', 'Preferences'), '{}');
    await writeFile(
      paths.metadataFile,
      JSON.stringify({
        pairedAt: '2026-11-30T10:00:00.000Z',
        me: { id: '15550001111', name: 'Sim Phone' },
        lastReadyAt: '2026-12-01T09:00:00.000Z',
        lastLoggedOutAt: null,
        logoutReason: null,
      }),
    );
    const report = await doctor(env);
    assert.equal(report.code, 0, report.text);
    const session = report.line('session');
    assert.equal(session.verdict, 'PASS');
    assert.match(session.detail, /for Sim Phone \(\+15550001111\).*last ready 2026-12-01T09:00:00\.000Z/);
  });
});
