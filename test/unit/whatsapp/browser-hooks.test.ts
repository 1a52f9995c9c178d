import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Browser } from 'puppeteer';
import { type Client, LocalAuth } from 'whatsapp-web.js';
import { hookAuthStrategy } from '../../../src/whatsapp/browser-hooks';
import { flush } from '../../support/fake-clock';

/** Stands in for puppeteer's Page: an emitter whose `on` the library uses to add handlers. */
class FakePage extends EventEmitter {}

function setup(client: { pupBrowser?: object; pupPage?: FakePage } = { pupBrowser: { name: 'browser' }, pupPage: new FakePage() }) {
  const browsers: Browser[] = [];
  const errors: unknown[] = [];
  const auth = hookAuthStrategy(new LocalAuth({ clientId: 'unit-test', dataPath: '/tmp/wa-tether-unit-never-created' }), {
    onBrowser: (browser) => browsers.push(browser),
    onHandlerError: (error) => errors.push(error),
  });
  auth.setup(client as unknown as Client);
  return { auth, client, page: client.pupPage, browsers, errors };
}

describe('hookAuthStrategy', () => {
  it('keeps the strategy it hooks: the same LocalAuth, for the same clientId and dataPath', () => {
    const local = new LocalAuth({ clientId: 'unit-test', dataPath: '/tmp/wa-tether-unit-never-created' });
    const hooked = hookAuthStrategy(local, { onBrowser: () => undefined, onHandlerError: () => undefined });
    assert.equal(hooked, local);
    const fields = hooked as unknown as { clientId: string; dataPath: string };
    assert.equal(fields.clientId, 'unit-test');
    assert.equal(fields.dataPath, '/tmp/wa-tether-unit-never-created');
  });

  it("logout() leaves the profile alone: the library's delete races the next browser", async () => {
    const { mkdtemp, mkdir, writeFile, access, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dataPath = await mkdtemp(path.join(os.tmpdir(), 'tether-auth-'));
    try {
      const auth = hookAuthStrategy(new LocalAuth({ clientId: 'keep', dataPath }), { onBrowser: () => undefined, onHandlerError: () => undefined });
      const client = { options: { puppeteer: {} } };
      auth.setup(client as unknown as Client);
      await auth.beforeBrowserInitialized();
      const marker = path.join(dataPath, 'session-keep', 'Default', 'marker');
      await mkdir(path.dirname(marker), { recursive: true });
      await writeFile(marker, 'x');
      await auth.logout();
      await access(marker);
    } finally {
      await rm(dataPath, { recursive: true, force: true });
    }
  });

  it('hands the browser to onBrowser once it exists', async () => {
    const { auth, client, browsers } = setup();
    await auth.afterBrowserInitialized();
    assert.deepEqual(browsers, [client.pupBrowser]);
  });

  it('an async page handler that rejects reaches onHandlerError, not an unhandled rejection', async () => {
    const { auth, page, errors } = setup();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await auth.afterBrowserInitialized();
      // Registered after the hook, as whatsapp-web.js does with `framenavigated`.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async page handler, as the library registers them: what the hook guards
      page?.on('framenavigated', async () => {
        throw new Error('Protocol error: Target closed');
      });
      page?.emit('framenavigated', { url: () => 'https://web.whatsapp.com/' });
      await flush();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.equal(errors.length, 1);
    assert.match((errors[0] as Error).message, /Target closed/);
    assert.deepEqual(unhandled, []);
  });

  it('a bare string rejection (whatsapp-web.js throws "auth timeout") is reported as is', async () => {
    const { auth, page, errors } = setup();
    await auth.afterBrowserInitialized();
    // eslint-disable-next-line @typescript-eslint/no-misused-promises, @typescript-eslint/prefer-promise-reject-errors -- an async page handler, as the library registers them: what the hook guards
    page?.on('framenavigated', () => Promise.reject('auth timeout'));
    page?.emit('framenavigated');
    await flush();
    assert.deepEqual(errors, ['auth timeout']);
  });

  it('a synchronous throw in a handler is reported and does not escape emit()', async () => {
    const { auth, page, errors } = setup();
    await auth.afterBrowserInitialized();
    page?.on('response', () => {
      throw new Error('sync boom');
    });
    assert.doesNotThrow(() => page?.emit('response'));
    assert.equal(errors.length, 1);
  });

  it('handlers still receive their arguments and their results; good handlers report nothing', async () => {
    const { auth, page, errors } = setup();
    await auth.afterBrowserInitialized();
    const seen: unknown[] = [];
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async page handler, as the library registers them: what the hook guards
    page?.on('request', async (req: unknown, extra: unknown) => {
      seen.push(req, extra);
    });
    page?.on('console', (msg: unknown) => seen.push(msg));
    page?.emit('request', 'req-1', 'x');
    page?.emit('console', 'hello');
    await flush();
    assert.deepEqual(seen, ['req-1', 'x', 'hello']);
    assert.deepEqual(errors, []);
  });

  it('running the hook again (after a remote logout) wraps the page only once and reports the browser once', async () => {
    const { auth, page, errors, browsers } = setup();
    await auth.afterBrowserInitialized();
    await auth.afterBrowserInitialized();
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async page handler, as the library registers them: what the hook guards
    page?.on('framenavigated', async () => {
      throw new Error('detached Frame');
    });
    page?.emit('framenavigated');
    await flush();
    assert.equal(errors.length, 1, 'one error, one report');
    assert.equal(page?.listenerCount('framenavigated'), 1);
    assert.equal(browsers.length, 1);
  });

  it('a new page (the library relaunched) is wrapped too', async () => {
    const { auth, client, errors } = setup();
    await auth.afterBrowserInitialized();
    const second = new FakePage();
    client.pupPage = second;
    await auth.afterBrowserInitialized();
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async page handler, as the library registers them: what the hook guards
    second.on('framenavigated', async () => {
      throw new Error('Target closed');
    });
    second.emit('framenavigated');
    await flush();
    assert.equal(errors.length, 1);
  });

  it('no browser or page yet: the hook does nothing and does not throw', async () => {
    const { auth, browsers } = setup({});
    await assert.doesNotReject(auth.afterBrowserInitialized());
    assert.deepEqual(browsers, []);
  });
});
