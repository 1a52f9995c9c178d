// WEB_VERSION is the operator's lever against WhatsApp Web drift: a pinned build from the local
// cache, or (opt-in) from an archive over HTTP. A pinned build that cannot be had is a setting to
// fix, reported as `failed`, not retried forever.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { renderSimPage, SIM_WEB_VERSION } from '../sim';
import { Daemon, Sandbox } from '../support/daemon';
import { eventually } from '../support/wait';

describe('WEB_VERSION', { timeout: 120_000 }, () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('from an archive (WEB_VERSION_REMOTE_PATH, loopback here): the build is fetched and a QR appears, with no local copy', async () => {
    const requests: string[] = [];
    const archive: Server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === `/wa-version/${SIM_WEB_VERSION}.html`) {
        res.writeHead(200, { 'content-type': 'text/html' }).end(renderSimPage({ qrRotateMs: 0 }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => archive.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => archive.close(() => resolve())));
    const { port } = archive.address() as AddressInfo;

    const sandbox = await Sandbox.create();
    await rm(sandbox.cachePath, { recursive: true, force: true });
    const daemon = await Daemon.start(sandbox, {
      env: { WEB_VERSION_REMOTE_PATH: `http://127.0.0.1:${port}/wa-version/{version}.html` },
    });
    cleanups.push(async () => {
      if (!daemon.hasExited) await daemon.stop('SIGKILL');
      await sandbox.dispose();
    });
    const status = await daemon.waitFor((s) => s.state === 'qr' && s.hasQr, 'showing a QR');
    assert.equal(status.state, 'qr');
    assert.deepEqual(requests, [`/wa-version/${SIM_WEB_VERSION}.html`]);
    assert.equal((await daemon.stop('SIGTERM')).code, 0);
  });

  it('a pinned build missing from a strict local cache: failed at once, saying how to fix it, health 503', async () => {
    const sandbox = await Sandbox.create();
    const daemon = await Daemon.start(sandbox, { env: { WEB_VERSION: '2.3000.1000000001', WEB_CACHE_STRICT: 'true' } });
    cleanups.push(async () => {
      if (!daemon.hasExited) await daemon.stop('SIGKILL');
      await sandbox.dispose();
    });
    const status = await daemon.waitForState('failed', 30_000);
    assert.match(status.stateMessage, /WEB_VERSION=2\.3000\.1000000001 is not in WEB_CACHE_PATH .* To resolve/);
    const health = await daemon.request('GET', '/api/health', false);
    assert.equal(health.status, 503);
    assert.deepEqual(daemon.transitions(), ['failed']);
    await eventually(async () => ((await sandbox.browserProcesses()).length === 0 ? true : undefined), 'the browser it launched closed');
    assert.equal((await daemon.stop('SIGTERM')).code, 0);
  });
});
