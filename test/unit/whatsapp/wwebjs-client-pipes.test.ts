// The adapter guards the DevTools pipes of every browser the library launches: puppeteer stops
// listening for their errors when it closes or disconnects, and a write failing after that
// would be an uncaught exception (test/e2e/browser-pipe.test.ts shows it with a real browser).
// Here the library's own hook runs on a browser that only has the process the guard reads.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { AuthStrategy } from 'whatsapp-web.js';
import { WwebjsClient } from '../../../src/whatsapp/wwebjs-client';

function adapter(pids: number[]): WwebjsClient {
  return new WwebjsClient({
    clientId: 'unit-pipes',
    authPath: '/tmp/wa-tether-unit-never-created',
    webCachePath: '/tmp/wa-tether-unit-never-created-cache',
    webVersion: null,
    webCacheStrict: false,
    webVersionRemotePath: null,
    executablePath: '/nonexistent/chromium',
    browserMode: 'shell',
    args: [],
    env: {},
    takeoverOnConflict: false,
    takeoverTimeoutMs: 0,
    pairingPhoneNumber: null,
    pairingCodeIntervalMs: 180_000,
    onBrowserProcess: (pid) => pids.push(pid),
  });
}

describe("the adapter and the browser's DevTools pipes", () => {
  it('every browser the library launches gets a listener on its pipes; a pipe error then throws nothing', async () => {
    const pids: number[] = [];
    const wrapped = adapter(pids);
    // Puppeteer's pipe mode: stdin, stdout, stderr, then the DevTools write and read pipes.
    const stdio = Array.from({ length: 5 }, () => new EventEmitter());
    const browser = Object.assign(new EventEmitter(), { process: () => ({ pid: 4242, stdio }) });
    const client = (wrapped as unknown as { client: { pupBrowser: unknown; pupPage: unknown; authStrategy: AuthStrategy } }).client;
    client.pupBrowser = browser;
    client.pupPage = null;

    await client.authStrategy.afterBrowserInitialized();

    assert.deepEqual(pids, [4242], 'the hook ran for this browser');
    assert.equal(stdio[3]?.listenerCount('error'), 1, 'the DevTools write pipe');
    assert.equal(stdio[4]?.listenerCount('error'), 1, 'the DevTools read pipe');
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    assert.doesNotThrow(() => stdio[3]?.emit('error', epipe));
  });
});
