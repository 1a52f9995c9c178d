/**
 * A bare whatsapp-web.js `Client` (no daemon) on the simulated WhatsApp Web, for the tests that
 * pin what the library itself does. Every Client and SimPhone made is torn down in `t.after`.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { Client, type ClientOptions, LocalAuth } from 'whatsapp-web.js';
import { SIM_WEB_VERSION, type SimPageOptions, SimPhone, writeSimPage } from '../../sim';
import { CHROME_PATH, HEADLESS } from '../../support/browser';
import { sleep, withTimeout } from '../../support/wait';

export const ME = { user: '15550001111', pushname: 'Sim Phone' };
export const ALICE = '15550002222@c.us';

interface Recorded {
  readonly name: string;
  readonly at: number;
  readonly args: unknown[];
}

/** Records every client event of interest, in order, so a wait never misses an early event. */
export class Recorder {
  readonly events: Recorded[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly t0 = Date.now();

  constructor(client: Client, names: readonly string[]) {
    const emitter = client as unknown as EventEmitter;
    for (const name of names) {
      emitter.on(name, (...args: unknown[]) => {
        this.events.push({ name, at: Date.now() - this.t0, args });
        for (const wake of [...this.waiters]) wake();
      });
    }
  }

  mark(): number {
    return this.events.length;
  }

  count(name: string, from = 0): number {
    return this.events.slice(from).filter((e) => e.name === name).length;
  }

  names(from = 0): string[] {
    return this.events.slice(from).map((e) => `${e.name}@${e.at}`);
  }

  /** The first event `name` at index >= `from` matching `pred`. */
  waitFor(name: string, options: { from?: number; timeoutMs?: number; pred?: (...args: unknown[]) => boolean } = {}): Promise<unknown[]> {
    const from = options.from ?? 0;
    const timeoutMs = options.timeoutMs ?? 20_000;
    const find = (): Recorded | undefined => this.events.slice(from).find((e) => e.name === name && (!options.pred || options.pred(...e.args)));
    return new Promise((resolve, reject) => {
      const hit = find();
      if (hit) return resolve(hit.args);
      const check = (): void => {
        const found = find();
        if (!found) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found.args);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timeout after ${timeoutMs} ms waiting for client event '${name}'; seen: ${this.names().join(', ')}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

const EVENTS = [
  'qr',
  'code',
  'authenticated',
  'auth_failure',
  'ready',
  'disconnected',
  'change_state',
  'loading_screen',
  'message',
  'message_create',
  'message_ack',
  'message_ciphertext',
  'message_ciphertext_failed',
];

export interface TestClient {
  readonly client: Client;
  readonly rec: Recorder;
  /** `initialize()`: 'resolved' or the rejection reason. */
  readonly init: Promise<unknown>;
  /** Every request the page made besides https://web.whatsapp.com/ (there must be none). */
  readonly foreignRequests: string[];
  /** puppeteer `pageerror` events: uncaught exceptions in the page. */
  readonly pageErrors: string[];
}

export interface BareHarness {
  readonly profileDir: string;
  readonly unhandled: unknown[];
  newClient(extra?: Partial<ClientOptions>): TestClient;
  attachPhone(): Promise<SimPhone>;
}

export async function bareHarness(t: TestContext, page: SimPageOptions = {}): Promise<BareHarness> {
  assert.ok(existsSync(CHROME_PATH), `Chromium not found at ${CHROME_PATH} (set CHROME_PATH)`);
  const root = await mkdtemp(path.join(os.tmpdir(), 'wa-sim-e2e-'));
  const cacheDir = path.join(root, 'cache');
  const authDir = path.join(root, 'auth');
  const clientId = 'sim';
  const profileDir = path.join(authDir, `session-${clientId}`);
  await writeSimPage(cacheDir, page);
  const clients: Client[] = [];
  const phones: SimPhone[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
    t.diagnostic(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
  };
  process.on('unhandledRejection', onUnhandled);

  t.after(async () => {
    for (const phone of phones) await phone.detach().catch(() => undefined);
    for (const client of clients) {
      await withTimeout(client.destroy(), 15_000, 'client.destroy').catch(() => undefined);
      // destroy() only closes a connected browser; make sure no Chromium survives the test.
      const proc = client.pupBrowser?.process();
      if (proc && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
    }
    process.off('unhandledRejection', onUnhandled);
    await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  return {
    profileDir,
    unhandled,
    newClient(extra = {}) {
      const client = new Client({
        authStrategy: new LocalAuth({ clientId, dataPath: authDir }),
        webVersionCache: { type: 'local', path: cacheDir, strict: true },
        webVersion: SIM_WEB_VERSION,
        puppeteer: {
          executablePath: CHROME_PATH,
          headless: HEADLESS,
          // puppeteer's default --remote-debugging-port=0 lets the phone attach through DevToolsActivePort.
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
        ...extra,
      });
      clients.push(client);
      const rec = new Recorder(client, EVENTS);
      const init = client.initialize().then(
        () => 'resolved',
        (error: unknown) => {
          t.diagnostic(`initialize() rejected: ${String(error)}`);
          return error;
        },
      );
      const foreignRequests: string[] = [];
      const pageErrors: string[] = [];
      // pupPage exists right after puppeteer.launch, before page.goto(): watch the network and
      // uncaught page errors from the first request on.
      void (async () => {
        const deadline = Date.now() + 30_000;
        while (!client.pupPage && Date.now() < deadline) await sleep(5);
        const page = client.pupPage;
        if (!page) return;
        page.on('request', (request) => {
          if (request.url() !== 'https://web.whatsapp.com/') foreignRequests.push(request.url());
        });
        page.on('pageerror', (error) => pageErrors.push(String((error as Error)?.message ?? error)));
      })();
      return { client, rec, init, foreignRequests, pageErrors };
    },
    async attachPhone() {
      const phone = await SimPhone.attach(profileDir, { timeoutMs: 30_000 });
      phones.push(phone);
      return phone;
    },
  };
}

/** Fresh profile: qr, scan, authenticated, ready. */
export async function pairFresh(h: BareHarness, extra: Partial<ClientOptions> = {}): Promise<TestClient & { phone: SimPhone; qr: string }> {
  const tc = h.newClient(extra);
  const [qr] = await tc.rec.waitFor('qr', { timeoutMs: 30_000 });
  const phone = await h.attachPhone();
  await phone.scan(ME);
  await tc.rec.waitFor('authenticated', { timeoutMs: 20_000 });
  await tc.rec.waitFor('ready', { timeoutMs: 20_000 });
  return { ...tc, phone, qr: qr as string };
}
