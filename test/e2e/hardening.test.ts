// Findings 3 and 7 of the security review, against the real daemon and its real browser:
// DevTools was on an unauthenticated port and the browser inherited the daemon's secrets;
// the auth path, the profile and the lock were readable by every user.
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sessionPaths } from '../../src/config/session-paths';
import { browsersOnProfile } from '../chaos/browsers';
import { CLIENT_ID, Daemon } from '../support/daemon';
import { useScene } from '../support/scene';

const API_TOKEN = 'hardening-api-token-0123456789';
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

/** Every entry under `dir` (files and directories), at most `limit`. */
async function walk(dir: string, limit = 2_000): Promise<string[]> {
  const found: string[] = [];
  const queue = [dir];
  for (let next = queue.pop(); next !== undefined && found.length < limit; next = queue.pop()) {
    for (const entry of await readdir(next, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(next, entry.name);
      if (entry.isSymbolicLink()) continue;
      found.push(full);
      if (entry.isDirectory()) queue.push(full);
    }
  }
  return found;
}

describe('hardening', { timeout: 120_000 }, () => {
  const scene = useScene();

  it('finding 3: DevTools over a pipe (no port unless CHROMIUM_ARGS adds one), and the browser never sees the secrets', async () => {
    const daemon = await Daemon.start(scene.sandbox, {
      env: { CHROMIUM_ARGS: '', API_TOKEN, WEBHOOK_URL: 'http://127.0.0.1:9/hooks', WEBHOOK_SECRET },
    });
    try {
      await daemon.waitForState('qr');
      const [browser] = await browsersOnProfile(scene.sandbox.profileDir);
      assert.ok(browser);
      const args = (await readFile(`/proc/${browser.pid}/cmdline`, 'utf8')).split('\0');
      assert.ok(args.includes('--remote-debugging-pipe'), 'DevTools over a pipe');
      assert.equal(args.filter((a) => a.startsWith('--remote-debugging-port')).length, 0, 'no DevTools port');
      const environ = await readFile(`/proc/${browser.pid}/environ`, 'utf8');
      for (const secret of ['ADMIN_TOKEN', 'API_TOKEN', 'WEBHOOK_SECRET', API_TOKEN, WEBHOOK_SECRET]) {
        assert.equal(environ.includes(secret), false, `${secret} is not in the browser's environment`);
      }
      assert.match(environ, /(^|\0)PATH=/, 'what it needs is there');
    } finally {
      assert.equal((await daemon.stop()).code, 0);
    }
  });

  it('finding 7: what the daemon and its browser create is for its user alone (umask 077)', async () => {
    // An AUTH_PATH the daemon has to create itself.
    const authPath = path.join(scene.sandbox.root, 'fresh-auth');
    const daemon = await Daemon.start({ authPath, cachePath: scene.sandbox.cachePath, profileDir: sessionPaths(authPath, CLIENT_ID).profileDir }, {});
    try {
      await daemon.waitForState('qr');
      const paths = sessionPaths(authPath, CLIENT_ID);
      const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;
      assert.equal(await mode(authPath), 0o700, 'AUTH_PATH');
      assert.equal(await mode(paths.lockFile), 0o600, 'the instance lock');
      assert.equal(await mode(path.join(authPath, `wa-tether-${CLIENT_ID}.db`)), 0o600, 'the database');
      const inProfile = await walk(paths.profileDir);
      assert.ok(inProfile.length > 10, 'the browser wrote its profile');
      const open = [];
      for (const file of [paths.profileDir, ...inProfile]) if (((await stat(file).catch(() => null))?.mode ?? 0) & 0o077) open.push(file);
      assert.deepEqual(open, [], 'nothing in the profile is readable by group or others');
    } finally {
      assert.equal((await daemon.stop()).code, 0);
    }
  });
});
