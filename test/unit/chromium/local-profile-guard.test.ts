import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { clearStaleChromiumLocks } from '../../../src/chromium/chromium-locks';
import { findProfileProcesses, readProcStat } from '../../../src/chromium/chromium-processes';
import { LocalProfileGuard } from '../../../src/chromium/local-profile-guard';
import { browserBinaries } from '../../../src/config/find-browser';
import { systemClock } from '../../../src/common/clock';
import { LocalSessionStore } from '../../../src/storage/local-session-store';
import { RecordingLogger } from '../../support/recording-logger';

const run = promisify(execFile);
const chromePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const noChromium = existsSync(chromePath) ? false : `no Chromium at ${chromePath} (set CHROME_PATH to run this test)`;
const LOCKS = ['SingletonLock', 'SingletonSocket', 'SingletonCookie'];

let root: string;
let profileCount = 0;
/** Every pid a test started, so `after` can end stragglers by pid if an assertion failed midway. */
const startedPids = new Set<number>();
const profiles: string[] = [];

async function freshProfile(): Promise<string> {
  profileCount += 1;
  const dir = path.join(root, `profile-${profileCount}`);
  await mkdir(dir, { recursive: true });
  profiles.push(dir);
  return dir;
}

/**
 * A stand-in for an orphaned Chromium: a detached node process (puppeteer detaches
 * Chromium too) that prints "ready" once set up. Extra argv after `--` is only there to be
 * seen in /proc/<pid>/cmdline.
 */
async function spawnHolder(script: string, argv: readonly string[], cwd?: string): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, ['-e', script, '--', ...argv], { detached: true, stdio: ['ignore', 'pipe', 'inherit'], cwd });
  await once(child, 'spawn');
  startedPids.add(child.pid as number);
  const lines: string[] = [];
  let buffered = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        if (line === 'ready') resolve();
        else lines.push(line);
      }
    });
  });
  await ready;
  return { child, lines };
}

const IDLE = "console.log('ready'); setInterval(() => {}, 1000);";
const IGNORES_SIGTERM = "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000);";
/** Spawns a child that carries no --user-data-dir, like a forked helper, and prints its pid. */
const WITH_FLAGLESS_CHILD = `
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  child.on('spawn', () => { console.log(child.pid); console.log('ready'); });
  setInterval(() => {}, 1000);
`;

async function isGone(pid: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat === null || stat.state === 'Z' || stat.state === 'X';
}

async function plantLocks(profile: string, owner = 'otherhost-999999'): Promise<void> {
  await symlink(owner, path.join(profile, 'SingletonLock'));
  await symlink('/tmp/org.chromium.Chromium.gone/SingletonSocket', path.join(profile, 'SingletonSocket'));
  await symlink('4942640596912652317', path.join(profile, 'SingletonCookie'));
}

async function presentLocks(profile: string): Promise<string[]> {
  const names = await readdir(profile);
  return names.filter((name) => LOCKS.includes(name)).sort();
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('LocalProfileGuard', () => {
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-guard-'));
  });

  after(async () => {
    for (const profile of profiles) {
      for (const { pid } of await findProfileProcesses(profile)) startedPids.add(pid);
    }
    for (const pid of startedPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: the test ended it.
      }
    }
    await rm(root, { recursive: true, force: true, maxRetries: 5 });
  });

  it('prepare() ends a holder and its flagless child, then removes the stale Singleton* links', async () => {
    const profile = await freshProfile();
    await writeFile(path.join(profile, 'Local State'), '{}');
    await plantLocks(profile);
    const { child, lines } = await spawnHolder(WITH_FLAGLESS_CHILD, [`--user-data-dir=${profile}`]);
    const grandchild = Number(lines[0]);
    startedPids.add(grandchild);
    assert.ok(!(await isGone(grandchild)));

    const found = (await findProfileProcesses(profile)).map((p) => p.pid).sort();
    assert.deepEqual(found, [child.pid, grandchild].sort());

    const logger = new RecordingLogger();
    await new LocalProfileGuard({ profileDir: profile, logger }).prepare();

    assert.ok(await isGone(child.pid as number), 'the holder is gone');
    assert.ok(await isGone(grandchild), 'its child is gone');
    assert.deepEqual(await presentLocks(profile), []);
    await lstat(path.join(profile, 'Local State')); // the profile itself is untouched
    const [warn] = logger.at('warn');
    assert.match(warn?.message ?? '', /ended 2 orphaned Chromium processes holding the profile \(left by a daemon that was killed\)/);
    assert.deepEqual([...((warn?.meta.pids as number[]) ?? [])].sort(), [child.pid, grandchild].sort());
    const [info] = logger.at('info');
    assert.match(info?.message ?? '', /SingletonLock/);
  });

  it('SIGKILLs a holder that ignores SIGTERM once graceMs has passed', async () => {
    const profile = await freshProfile();
    const { child } = await spawnHolder(IGNORES_SIGTERM, [`--user-data-dir=${profile}`]);
    const guard = new LocalProfileGuard({ profileDir: profile, logger: new RecordingLogger(), graceMs: 300 });
    const started = Date.now();
    assert.equal(await guard.killLeftovers(), 1);
    const took = Date.now() - started;
    assert.ok(await isGone(child.pid as number));
    assert.ok(took >= 280 && took < 3_000, `took ${took} ms`);
  });

  it('finds the other spellings of the flag: separate value, trailing slash, relative to the cwd', async () => {
    const profile = await freshProfile();
    const holders = await Promise.all([
      spawnHolder(IDLE, ['--user-data-dir', profile]),
      spawnHolder(IDLE, [`--user-data-dir=${profile}/`]),
      spawnHolder(IDLE, [`--user-data-dir=./${path.basename(profile)}`], path.dirname(profile)),
    ]);
    const guard = new LocalProfileGuard({ profileDir: profile, logger: new RecordingLogger(), graceMs: 1_000 });
    assert.equal(await guard.killLeftovers(), 3);
    for (const { child } of holders) assert.ok(await isGone(child.pid as number));
  });

  it('finds a process whose title was rewritten into one string, as Chromium does for its children', async () => {
    const profile = await freshProfile();
    const title = `/usr/lib/chromium/chromium --type=renderer --enable-crash-reporter=,built on Debian GNU/Linux 12 (bookworm) --user-data-dir=${profile} --lang=en-US`;
    const script = `process.title = ${JSON.stringify(title)}; console.log('ready'); setInterval(() => {}, 1000);`;
    // libuv writes the title over the original argv, so the padding makes room for it.
    const { child } = await spawnHolder(script, ['x'.repeat(title.length + 16)]);
    const decoy = await spawnHolder(script.replace(profile, `${profile}-other`), ['x'.repeat(title.length + 16)]);
    assert.deepEqual(
      (await findProfileProcesses(profile)).map((p) => p.pid),
      [child.pid],
    );
    assert.equal(await new LocalProfileGuard({ profileDir: profile, logger: new RecordingLogger() }).killLeftovers(), 1);
    assert.ok(await isGone(child.pid as number));
    decoy.child.kill('SIGKILL');
  });

  it('leaves processes using another profile alone, even one whose path starts the same', async () => {
    const profile = await freshProfile();
    const others = await Promise.all([
      spawnHolder(IDLE, [`--user-data-dir=${profile}-other`]),
      spawnHolder(IDLE, [`--user-data-dir=${path.join(profile, 'nested')}`]),
      spawnHolder(IDLE, [`--profile=${profile}`]),
    ]);
    const guard = new LocalProfileGuard({ profileDir: profile, logger: new RecordingLogger() });
    assert.equal(await guard.killLeftovers(), 0);
    await guard.prepare();
    for (const { child } of others) {
      assert.ok(!(await isGone(child.pid as number)), `pid ${child.pid} must survive`);
      child.kill('SIGKILL');
    }
  });

  it("killLeftovers() then the session store's wipe(), as a clear does: holders ended, the profile deleted", async () => {
    const profile = await freshProfile();
    await mkdir(path.join(profile, 'Default', 'IndexedDB'), { recursive: true });
    await writeFile(path.join(profile, 'Default', 'IndexedDB', 'data'), 'x'.repeat(1000));
    await plantLocks(profile);
    const { child } = await spawnHolder(IDLE, [`--user-data-dir=${profile}`]);
    const logger = new RecordingLogger();
    assert.equal(await new LocalProfileGuard({ profileDir: profile, logger }).killLeftovers(), 1);
    assert.ok(await isGone(child.pid as number));
    const store = new LocalSessionStore({ profileDir: profile, logger, clock: systemClock });
    await store.wipe();
    await assert.rejects(lstat(profile), { code: 'ENOENT' });
    assert.equal((await store.refresh()).exists, false);
  });

  it('prepare() on a missing profile does nothing', async () => {
    await new LocalProfileGuard({ profileDir: path.join(root, 'never-created'), logger: new RecordingLogger() }).prepare();
  });

  it(
    'with real Chromium: prepare() ends the whole orphaned tree and a fresh Chromium then launches on the profile',
    { skip: noChromium, timeout: 90_000 },
    async () => {
      const profile = await freshProfile();
      const args = ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`];
      // Detached like puppeteer's launch: it outlives a daemon killed with SIGKILL.
      const browser = spawn(chromePath, [...args, 'about:blank'], { detached: true, stdio: 'ignore' });
      await once(browser, 'spawn');
      startedPids.add(browser.pid as number);
      const tree = await waitFor(
        'Chromium to start its renderer',
        async () => {
          const found = await findProfileProcesses(profile);
          // lstat: the lock is a dangling symlink to `<host>-<pid>`, which existsSync would follow.
          const locked = await lstat(path.join(profile, 'SingletonLock')).then(
            () => true,
            () => false,
          );
          return found.length >= 3 && locked ? found : null;
        },
        30_000,
      );
      for (const { pid } of tree) startedPids.add(pid);

      // With the orphan alive, a new launch on the profile refuses (exit 21: ProcessSingleton).
      await assert.rejects(run(chromePath, [...args, '--dump-dom', 'about:blank'], { timeout: 30_000 }), { code: 21 });

      const logger = new RecordingLogger();
      // The filter main.ts passes: our uid, the binaries the configured browser runs (through Debian's wrapper too).
      const only = { uid: process.getuid?.() ?? 0, executables: () => browserBinaries(chromePath) };
      await new LocalProfileGuard({ profileDir: profile, logger, only }).prepare();
      for (const { pid } of tree) assert.ok(await isGone(pid), `Chromium pid ${pid} survived`);
      assert.deepEqual(await findProfileProcesses(profile), []);
      assert.deepEqual(await presentLocks(profile), []);

      const { stdout } = await run(chromePath, [...args, '--dump-dom', 'about:blank'], { timeout: 30_000 });
      assert.match(stdout, /<html>/);
    },
  );

  it(
    'with real Chromium: a SingletonLock from another host (a new container hostname) blocks the launch until prepare()',
    { skip: noChromium, timeout: 90_000 },
    async () => {
      const profile = await freshProfile();
      await plantLocks(profile);
      const args = ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, '--dump-dom', 'about:blank'];
      await assert.rejects(run(chromePath, args, { timeout: 30_000 }), { code: 21 });

      await new LocalProfileGuard({ profileDir: profile, logger: new RecordingLogger() }).prepare();
      const { stdout } = await run(chromePath, args, { timeout: 30_000 });
      assert.match(stdout, /<html>/);
    },
  );

  describe('finding 4: the orphan killer matched argv text only', () => {
    const isRoot = process.getuid?.() === 0;

    it('a process of ours that merely mentions the profile, running something other than the browser, is left alone', async () => {
      const profile = await freshProfile();
      const { child } = await spawnHolder(IDLE, [`--user-data-dir=${profile}`]);
      const only = { uid: process.getuid?.() ?? 0, executables: () => ['/usr/lib/chromium/chromium-headless-shell', '/usr/lib/chromium/chromium'] };
      await new LocalProfileGuard({ profileDir: profile, logger: new RecordingLogger(), only }).prepare();
      assert.equal(await isGone(child.pid as number), false, 'not our browser: not ended');
      await new LocalProfileGuard({ profileDir: profile, logger: new RecordingLogger() }).prepare();
      assert.equal(await isGone(child.pid as number), true, 'the control: without the filter it would have been');
    });

    it(
      'a process of another user is left alone, one of ours running the browser binary is ended with its children',
      { skip: isRoot ? false : 'needs root to start a process as another user' },
      async () => {
        const profile = await freshProfile();
        const stranger = spawn(process.execPath, ['-e', IDLE, '--', `--user-data-dir=${profile}`], {
          detached: true,
          stdio: 'ignore',
          uid: 65534,
          gid: 65534,
          cwd: '/',
        });
        await once(stranger, 'spawn');
        startedPids.add(stranger.pid as number);
        const { child, lines } = await spawnHolder(WITH_FLAGLESS_CHILD, [`--user-data-dir=${profile}`]);
        const grandchild = Number(lines[0]);
        startedPids.add(grandchild);
        await waitFor('the stranger to be running', async () => ((await readProcStat(stranger.pid as number)) !== null ? true : null), 5_000);
        // Node stands in for the browser binary here: what counts is the uid.
        const only = { uid: process.getuid?.() ?? 0, executables: () => [process.execPath] };
        await new LocalProfileGuard({ profileDir: profile, logger: new RecordingLogger(), only }).prepare();
        assert.equal(await isGone(stranger.pid as number), false, "another user's process survives");
        assert.ok(await isGone(child.pid as number), 'ours is ended');
        assert.ok(await isGone(grandchild), 'with its child');
      },
    );
  });
});

describe('clearStaleChromiumLocks', () => {
  let dir: string;
  const idle: ChildProcess[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-locks-'));
  });

  after(async () => {
    for (const child of idle) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the locks while their owner is alive', async () => {
    const profile = await mkdtemp(path.join(dir, 'p-'));
    await plantLocks(profile);
    const result = await clearStaleChromiumLocks(profile, { isOwnerAlive: async () => true });
    assert.equal(result.kept, true);
    assert.deepEqual(result.owner, { host: 'otherhost', pid: 999999 });
    assert.deepEqual(await presentLocks(profile), LOCKS.slice().sort());
  });

  it('without /proc help, checks the host and pid the way Chromium does', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    idle.push(child);
    await once(child, 'spawn');

    const live = await mkdtemp(path.join(dir, 'p-'));
    await plantLocks(live, `${os.hostname()}-${child.pid}`);
    assert.equal((await clearStaleChromiumLocks(live)).kept, true);

    const foreign = await mkdtemp(path.join(dir, 'p-'));
    await plantLocks(foreign, `some-other-host-${child.pid}`);
    assert.deepEqual((await clearStaleChromiumLocks(foreign)).removed.slice().sort(), LOCKS.slice().sort());

    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.deepEqual((await clearStaleChromiumLocks(live)).removed.slice().sort(), LOCKS.slice().sort());
    assert.deepEqual(await presentLocks(live), []);
  });

  it('never follows the links: a lock pointing at a real file leaves that file alone', async () => {
    const profile = await mkdtemp(path.join(dir, 'p-'));
    const target = path.join(dir, 'precious');
    await writeFile(target, 'keep me');
    await symlink(target, path.join(profile, 'SingletonSocket'));
    const result = await clearStaleChromiumLocks(profile, { isOwnerAlive: async () => false });
    assert.deepEqual(result.removed, ['SingletonSocket']);
    await lstat(target);
  });
});
