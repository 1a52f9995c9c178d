/**
 * SimPhone: the test's "phone", driving the simulated WhatsApp Web page (page.ts) inside the
 * Chromium that whatsapp-web.js (or the daemon) launched.
 *
 * How it reaches the page: puppeteer launches Chromium with --remote-debugging-port=0, so
 * Chromium writes `<userDataDir>/DevToolsActivePort` (line 1: port, line 2: browser ws path).
 * With LocalAuth the userDataDir is `<dataPath>/session-<clientId>`. We connect a second CDP
 * client to that browser, find the page whose URL starts with https://web.whatsapp.com, and call
 * `window.__sim.*` with page.evaluate. detach() disconnects (never closes) the browser.
 *
 * The page reloads on a remote logout (and LocalAuth then deletes the profile directory,
 * DevToolsActivePort included), so every call re-finds the page and retries while the execution
 * context is being replaced.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { describeError } from '../../src/common/errors';
import { sleep, withTimeout } from '../support/wait';
import type { SimConfig, SimRuntimeConfig } from './page/config';
import type { SimIncoming, SimLogEntry, SimLogoutSignal, SimMe, SimOutboxEntry, SimPageError, SimRequiredModules, SimState } from './page/types';

export const SIM_PAGE_URL = 'https://web.whatsapp.com/';

export interface AttachOptions {
  /** How long to wait for DevToolsActivePort + the page + window.__sim. Default 30000. */
  timeoutMs?: number;
  /** Default timeout of each call (retries included). Default 15000. */
  callTimeoutMs?: number;
}

/** Errors that mean "the page is navigating / not there yet: try again". */
function isTransient(err: unknown): boolean {
  const msg = String((err as { message?: unknown })?.message ?? err);
  return /Execution context was destroyed|Cannot find context|context with specified id|Target closed|Session closed|detached Frame|Frame was detached|Navigating frame was detached|__sim is not available|Protocol error.*(Runtime\.callFunctionOn|Target)|Inspected target navigated or closed/i.test(
    msg,
  );
}

/**
 * `work`, or a transient miss once `ms` pass. Puppeteer's evaluate waits for the frame's next
 * execution context while the page reloads (a logout, a re-pair), up to the page's default
 * timeout (30 s), longer than any caller here waits; every call promises its caller an answer
 * within the caller's own timeout.
 */
const within = <T>(work: Promise<T>, ms: number): Promise<T> =>
  withTimeout(work, Math.max(1, ms), 'an answer while __sim is not available (page booting or reloading)');

/** How long one look at the browser's pages may take: a stuck page must not use a whole budget. */
const PAGE_TRY_MS = 5_000;

export async function readDevToolsActivePort(profileDir: string): Promise<string | null> {
  try {
    const txt = await readFile(path.join(profileDir, 'DevToolsActivePort'), 'utf8');
    const [port, wsPath] = txt.split('\n').map((s) => s.trim());
    if (!port || !wsPath || !/^\d+$/.test(port)) return null;
    return `ws://127.0.0.1:${port}${wsPath}`;
  } catch {
    return null;
  }
}

export class SimPhone {
  private currentPage: Page | null = null;

  private constructor(
    readonly browser: Browser,
    readonly endpoint: string,
    readonly profileDir: string,
    private readonly callTimeoutMs: number,
    /** A connection someone else owns (the daemon's own, in demo mode): detach leaves it alone. */
    private readonly borrowed = false,
  ) {}

  /**
   * A phone on a browser connection that already exists: the demo drives the simulated page
   * through the daemon's own DevTools pipe, so no port is opened for anyone else to reach.
   */
  static async onBrowser(browser: Browser, opts: AttachOptions = {}): Promise<SimPhone> {
    const phone = new SimPhone(browser, 'pipe', '', opts.callTimeoutMs ?? 15_000, true);
    await phone.findPage(opts.timeoutMs ?? 30_000);
    return phone;
  }

  /**
   * Connects to the Chromium whose profile is `profileDir` (LocalAuth: `<dataPath>/session-<clientId>`),
   * retrying while Chromium starts and until the sim page has booted.
   */
  static async attach(profileDir: string, opts: AttachOptions = {}): Promise<SimPhone> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    let lastErr: unknown = null;
    while (Date.now() < deadline) {
      const endpoint = await readDevToolsActivePort(profileDir);
      if (endpoint) {
        let browser: Browser | null = null;
        try {
          browser = await puppeteer.connect({ browserWSEndpoint: endpoint, defaultViewport: null });
          const phone = new SimPhone(browser, endpoint, profileDir, opts.callTimeoutMs ?? 15_000);
          await phone.findPage(Math.max(1000, deadline - Date.now()));
          return phone;
        } catch (err) {
          lastErr = err;
          if (browser) await browser.disconnect().catch(() => undefined);
        }
      }
      await sleep(100);
    }
    throw new Error(
      `SimPhone.attach(${profileDir}): no sim page within ${timeoutMs} ms` + (lastErr ? ` (last error: ${describeError(lastErr)})` : ''),
    );
  }

  get connected(): boolean {
    return this.browser.connected;
  }

  /** Finds the https://web.whatsapp.com page with a booted window.__sim. */
  private async findPage(timeoutMs: number): Promise<Page> {
    const deadline = Date.now() + timeoutMs;
    let lastErr: unknown = null;
    while (Date.now() < deadline) {
      if (!this.browser.connected) throw new Error('SimPhone: browser disconnected (client destroyed?)');
      try {
        const pages = await within(this.browser.pages(), Math.min(deadline - Date.now(), PAGE_TRY_MS));
        for (const p of pages) {
          if (p.isClosed() || !p.url().startsWith('https://web.whatsapp.com')) continue;
          const ok = await within(
            p.evaluate(() => {
              const sim = (window as unknown as { __sim?: { state(): { booted: boolean } } }).__sim;
              return !!sim && sim.state().booted;
            }),
            Math.min(deadline - Date.now(), PAGE_TRY_MS),
          );
          if (ok) {
            this.currentPage = p;
            return p;
          }
        }
      } catch (err) {
        lastErr = err;
      }
      await sleep(100);
    }
    throw new Error(`SimPhone: sim page not found within ${timeoutMs} ms` + (lastErr ? ` (${describeError(lastErr)})` : ''));
  }

  /** The page currently hosting the sim (re-found after reloads). */
  async page(timeoutMs = this.callTimeoutMs): Promise<Page> {
    if (this.currentPage && !this.currentPage.isClosed()) return this.currentPage;
    return this.findPage(timeoutMs);
  }

  /** Calls window.__sim[name](...args) in the page, retrying across reloads. */
  async call<T>(name: string, ...args: unknown[]): Promise<T> {
    const deadline = Date.now() + this.callTimeoutMs;
    let lastErr: unknown = null;
    while (Date.now() < deadline) {
      if (!this.browser.connected) throw new Error(`SimPhone.${name}: browser disconnected (client destroyed?)`);
      let page: Page;
      try {
        page = await this.page(Math.max(1, deadline - Date.now()));
      } catch (err) {
        lastErr = err;
        continue;
      }
      try {
        return (await within(
          page.evaluate(
            async (n: string, a: unknown[]) => {
              const sim = (window as unknown as { __sim?: Record<string, (...x: unknown[]) => unknown> }).__sim;
              if (!sim || !(sim as unknown as { state(): { booted: boolean } }).state().booted) {
                throw new Error('__sim is not available (page booting)');
              }
              if (typeof sim[n] !== 'function') throw new Error(`__sim.${n} is not a function`);
              return await sim[n](...a);
            },
            name,
            args,
          ),
          deadline - Date.now(),
        )) as T;
      } catch (err) {
        if (!isTransient(err)) throw err;
        lastErr = err;
        await sleep(100);
      }
    }
    throw new Error(`SimPhone.${name}: timed out after ${this.callTimeoutMs} ms (last error: ${String(lastErr)})`);
  }

  state(): Promise<SimState> {
    return this.call<SimState>('state');
  }

  /** The phone scans the QR on screen. Resolves once the pairing is persisted (before `ready`). */
  scan(me: SimMe = { user: '15550001111', pushname: 'Sim Phone' }): Promise<{ ok: true; me: SimMe; ref: string }> {
    return this.call('scan', me);
  }

  /** The phone types the pairing code the client showed; pairs as the number the code was issued for. */
  enterCode(code: string, me: Partial<SimMe> = {}): Promise<{ ok: true; me: Required<SimMe> }> {
    return this.call('enterCode', code, me);
  }

  /**
   * The phone unlinks this device: storage wiped, `signal` fired on Cmd (none for 'silent'),
   * then a reload of https://web.whatsapp.com/.
   */
  remoteLogout(signal: SimLogoutSignal = 'logout_from_bridge'): Promise<{ ok: true; reloadInMs: number }> {
    return this.call('remoteLogout', signal);
  }

  /**
   * Sets Socket.state (emits change:state). Resolves once the page applied it, or with
   * `{ browserClosed: true }` if the library reacted by closing the browser (client.destroy(),
   * e.g. for UNPAIRED / DEPRECATED_VERSION / CONFLICT without takeover).
   */
  async setSocketState(state: string): Promise<{ state: string; browserClosed: boolean }> {
    const { request } = await this.call<{ request: number }>('setSocketState', state);
    const deadline = Date.now() + this.callTimeoutMs;
    while (Date.now() < deadline) {
      if (!this.browser.connected) return { state, browserClosed: true };
      try {
        if (await this.call<boolean>('stateRequestApplied', request)) return { state, browserClosed: false };
      } catch (err) {
        if (!this.browser.connected) return { state, browserClosed: true };
        throw err;
      }
      await sleep(20);
    }
    throw new Error(`SimPhone.setSocketState(${state}): not applied within ${this.callTimeoutMs} ms`);
  }

  /** The page's main thread blocks for `ms`, starting on its next task (returns at once). */
  freeze(ms: number): Promise<boolean> {
    return this.call<boolean>('freeze', ms);
  }

  /**
   * A message arrives from a contact: text, or media (`msg.media`, `body` its caption). Queued until
   * the client is connected and listening. The media's base64 crosses to the page in one evaluate.
   */
  incoming(msg: SimIncoming): Promise<{ queued: boolean; id: string }> {
    return this.call('incoming', msg);
  }

  /** Sets the ack of a message (2 = delivered to the phone, 3 = read). */
  ack(msgId: string, level: number): Promise<boolean> {
    return this.call<boolean>('ack', msgId, level);
  }

  outbox(): Promise<SimOutboxEntry[]> {
    return this.call<SimOutboxEntry[]>('outbox');
  }

  /** Forgets the sent messages and their files. */
  clearOutbox(): Promise<boolean> {
    return this.call<boolean>('clearOutbox');
  }

  /** The exact bytes of a media message the library sent (`outbox()` lists its `media` without them). */
  async outboxMedia(id: string): Promise<Buffer> {
    return Buffer.from(await this.call<string>('outboxMedia', id), 'base64');
  }

  seen(): Promise<Array<{ chat: string; at: number }>> {
    return this.call('seen');
  }

  configure(patch: SimRuntimeConfig): Promise<SimConfig> {
    return this.call('configure', patch);
  }

  requiredModules(): Promise<SimRequiredModules> {
    return this.call<SimRequiredModules>('requiredModules');
  }

  log(): Promise<SimLogEntry[]> {
    return this.call<SimLogEntry[]>('log');
  }

  errors(): Promise<SimPageError[]> {
    return this.call<SimPageError[]>('errors');
  }

  /** Polls state() until `predicate` holds. */
  async waitFor(predicate: (s: SimState) => boolean, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<SimState> {
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    let last: SimState | null = null;
    while (Date.now() < deadline) {
      try {
        last = await this.state();
        if (predicate(last)) return last;
      } catch (err) {
        if (!isTransient(err) && !/timed out/.test(String(err))) throw err;
      }
      await sleep(opts.intervalMs ?? 100);
    }
    throw new Error(`SimPhone.waitFor(${opts.what ?? 'predicate'}): not satisfied within ${timeoutMs} ms; last state: ${JSON.stringify(last)}`);
  }

  /**
   * Waits until the library's inject() has finished on the current page: its last step registers
   * Socket 'change:state' / 'change:hasSynced' and Cmd 'logout' / 'logout_from_bridge'.
   * (The 'qr' event fires in the middle of inject(), before these listeners exist.)
   */
  waitForInjected(timeoutMs = 15_000): Promise<SimState> {
    return this.waitFor((s) => s.listeners.cmdLogoutFromBridge >= 1 && s.listeners.socketChangeHasSynced >= 1, {
      timeoutMs,
      what: 'library inject() finished (Cmd logout_from_bridge + change:hasSynced listeners)',
    });
  }

  /** Disconnects this CDP client. Never closes the browser (it belongs to the client/daemon). */
  async detach(): Promise<void> {
    if (this.borrowed) return;
    if (this.browser.connected) await this.browser.disconnect().catch(() => undefined);
  }
}
