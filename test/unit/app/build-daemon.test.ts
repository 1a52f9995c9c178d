// The composition root built with fakes at the edge (a fake WhatsApp client and profile guard,
// no browser): the real stores, supervisor, outbox, sender, bot and HTTP app, wired as main.ts
// wires them, driven over real HTTP on loopback.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildDaemon, type RunningDaemon } from '../../../src/app/build-daemon';
import { loadConfig } from '../../../src/config/load-config';
import { sessionPaths } from '../../../src/config/session-paths';
import { LiveSecrets } from '../../../src/logging/live-secrets';
import { FakeGuard } from '../../support/fake-session-ports';
import { FakeClientFactory } from '../../support/fake-wa-client';
import { RecordingLogger } from '../../support/recording-logger';
import { eventually } from '../../support/wait';
import { incomingMessage } from '../../support/incoming-message';

const ADMIN_TOKEN = 'unit-admin-token-0123456789';
const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('buildDaemon (the composition root) with a fake WhatsApp client', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('answers HTTP, pairs, sends what the API accepted and what the bot answers, and stops in order', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-build-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = loadConfig(
      {
        PORT: '0',
        HOST: '127.0.0.1',
        CLIENT_ID: 'unit',
        AUTH_PATH: path.join(dir, 'auth'),
        WEB_CACHE_PATH: path.join(dir, 'cache'),
        ADMIN_TOKEN,
        SEND_CHAT_GAP_MS: '0',
      },
      { cwd: dir },
    );
    const clients = new FakeClientFactory();
    const exits: number[] = [];
    let exitCode = 0;
    const daemon = await buildDaemon({
      config,
      simulator: null,
      logger: new RecordingLogger(),
      flushLogs: async () => undefined,
      secrets: new LiveSecrets([ADMIN_TOKEN]),
      env: {},
      packageRoot: ROOT,
      process: { exit: (code) => exits.push(code), exitCode: () => exitCode, setExitCode: (code) => (exitCode = code) },
      createClient: clients.create,
      guard: new FakeGuard(),
      measureBrowserMemory: async () => 0,
    });
    let running: RunningDaemon | null = await daemon.start();
    cleanups.push(async () => {
      running?.server.close();
    });
    const url = (route: string): string => `http://127.0.0.1:${running?.port ?? 0}${route}`;
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const status = async (): Promise<{ state: string }> =>
      (await (await fetch(url('/api/session/status'), { headers: auth })).json()) as { state: string };

    assert.equal((await fetch(url('/api/health'))).status, 200);
    await eventually(async () => (clients.clients.length === 1 ? true : undefined), 'a client made');
    assert.ok(existsSync(sessionPaths(config.authPath, config.clientId).lockFile), 'the instance lock is held');
    const client = clients.latest();
    client.qr();
    await eventually(async () => ((await status()).state === 'qr' ? true : undefined), 'qr');
    client.authenticated();
    client.ready();
    await eventually(async () => ((await status()).state === 'ready' ? true : undefined), 'ready');

    const accepted = await fetch(url('/api/messages'), {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: '15550002222', text: 'hello' }),
    });
    assert.equal(accepted.status, 202);
    client.message(
      incomingMessage('!ping', { id: 'false_15550003333@c.us_AAAAAAAAAAAA', chatId: '15550003333@c.us', timestamp: Math.floor(Date.now() / 1000) }),
    );
    await eventually(async () => (client.sent.length === 2 ? true : undefined), 'both sent', 10_000);
    assert.deepEqual(client.sent.map((s) => [s.chatId, s.text]).sort(), [
      ['15550002222@c.us', 'hello'],
      ['15550003333@c.us', 'pong'],
    ]);

    running.shutdown('SIGTERM');
    await eventually(async () => (exits.length > 0 ? true : undefined), 'the exit', 10_000);
    assert.deepEqual(exits, [0]);
    assert.equal(client.count('destroy'), 1, 'the browser closed with destroy(), never logout()');
    assert.equal(client.count('logout'), 0);
    assert.equal(existsSync(sessionPaths(config.authPath, config.clientId).lockFile), false, 'the lock released');
    running = null;
  });
});
